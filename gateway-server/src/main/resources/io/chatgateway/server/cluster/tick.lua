-- The lease: ARGV[5] = lease in ms, ARGV[6] = this node's statistics (JSON), ARGV[7] = this run's random token.
-- Refreshes the caller's lease and the expiry of every key it owns, then reaps the nodes whose lease ran out.
-- Returns { had its keys (0/1), was reaped (0/1), live nodes, another run wrote under this node id since the last
-- refresh (0/1), reaped nodes... }.
local lease = tonumber(ARGV[5])
local info = nkey(SELF, 'info')
local had = redis.call('EXISTS', info)
local run = redis.call('HGET', info, 'run')
local other_run = 0
if run and run ~= ARGV[7] then
  other_run = 1
end
redis.call('HSET', info, 'run', ARGV[7])
local reaped = redis.call('DEL', nkey(SELF, 'reaped'))
redis.call('ZADD', P .. ':nodes', NOW + lease, SELF)
touch(P .. ':nodes')
touch(P .. ':seq')
redis.call('HSET', info, 'stats', ARGV[6])
touch(info)
touch(nkey(SELF, 'users'))
local rooms = nkey(SELF, 'rooms')
touch(rooms)
for _, room in ipairs(redis.call('HKEYS', rooms)) do
  touch(roomkey(SELF, room))
  if ROOM_SIZE > 0 then
    -- A room with members keeps its epoch and offsets, however long it stays quiet.
    redis.call('PEXPIRE', hkey(room), ROOM_TTL)
  end
end
-- Online users' inbox records: a slice per refresh (an HSCAN cursor kept in the node's info), so that a node with
-- many users never holds Redis long, and every user's record is renewed once per pass, well within its ttl.
if INBOX_SIZE > 0 then
  local r = redis.call('HSCAN', nkey(SELF, 'users'), redis.call('HGET', info, 'iscan') or '0', 'COUNT', 256)
  for j = 1, #r[2], 2 do
    redis.call('PEXPIRE', ikey(r[2][j]), ONLINE_INBOX_TTL)
  end
  redis.call('HSET', info, 'iscan', r[1])
end
local result = { had, reaped, 0, other_run }
-- Every live node ticks at least once a second, so a clock older than a lease means Redis itself stood still
-- (stopped, swapped out): the nodes did not miss their leases, Redis did. Give them all a lease to check in again.
local last = tonumber(redis.call('GET', P .. ':clock') or '0')
redis.call('SET', P .. ':clock', string.format('%d', NOW), 'PX', KEY_TTL)
if last > 0 and NOW - last > lease then
  for _, node in ipairs(redis.call('ZRANGE', P .. ':nodes', 0, -1)) do
    redis.call('ZADD', P .. ':nodes', 'GT', NOW + lease, node)
  end
else
  for _, node in ipairs(redis.call('ZRANGEBYSCORE', P .. ':nodes', '-inf', string.format('%d', NOW))) do
    if redis.call('ZREM', P .. ':nodes', node) == 1 then
      drop_node(node, true)
      result[#result + 1] = node
    end
  end
end
result[3] = redis.call('ZCOUNT', P .. ':nodes', '(' .. string.format('%d', NOW), '+inf')
return result
