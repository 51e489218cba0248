-- The lease: ARGV[4] = lease in ms, ARGV[5] = this node's statistics (JSON).
-- Refreshes the caller's lease and the expiry of every key it owns, then reaps the nodes whose lease ran out.
-- Returns { had its keys (0/1), was reaped (0/1), live nodes, reaped nodes... }.
local lease = tonumber(ARGV[4])
local info = nkey(SELF, 'info')
local had = redis.call('EXISTS', info)
local reaped = redis.call('DEL', nkey(SELF, 'reaped'))
redis.call('ZADD', P .. ':nodes', NOW + lease, SELF)
touch(P .. ':nodes')
touch(P .. ':seq')
redis.call('HSET', info, 'stats', ARGV[5])
touch(info)
touch(nkey(SELF, 'users'))
local rooms = nkey(SELF, 'rooms')
touch(rooms)
for _, room in ipairs(redis.call('HKEYS', rooms)) do
  touch(roomkey(SELF, room))
end
local result = { had, reaped, 0 }
for _, node in ipairs(redis.call('ZRANGEBYSCORE', P .. ':nodes', '-inf', string.format('%d', NOW))) do
  if redis.call('ZREM', P .. ':nodes', node) == 1 then
    drop_node(node, true)
    result[#result + 1] = node
  end
end
result[3] = redis.call('ZCOUNT', P .. ':nodes', '(' .. string.format('%d', NOW), '+inf')
return result
