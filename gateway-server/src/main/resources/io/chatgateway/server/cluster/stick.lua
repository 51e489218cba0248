-- The lease, on the cluster's own slot ({P}): ARGV[6] = lease in ms, ARGV[7] = how long a claim to reap a node
-- holds. Refreshes the caller's deadline; nodes whose deadline passed are claimed for reaping by the caller (each by
-- one node only: ZREM decides), and so are claims older than their hold (their reaper died). Returns
-- { { node, deadline, ... } of the live nodes, { claimed nodes } }.
local lease, hold = tonumber(ARGV[6]), tonumber(ARGV[7])
local nodes, clock, reaping = '{' .. P .. '}:nodes', '{' .. P .. '}:clock', '{' .. P .. '}:reaping'
redis.call('ZADD', nodes, NOW + lease, SELF)
redis.call('HDEL', reaping, SELF)
local claimed = {}
local last = tonumber(redis.call('GET', clock) or '0')
redis.call('SET', clock, string.format('%d', NOW), 'PX', KEY_TTL)
if last > 0 and NOW - last > lease then
  -- Redis itself stood still: the nodes did not miss their leases, it did.
  for _, node in ipairs(redis.call('ZRANGE', nodes, 0, -1)) do
    redis.call('ZADD', nodes, 'GT', NOW + lease, node)
  end
else
  for _, node in ipairs(redis.call('ZRANGEBYSCORE', nodes, '-inf', string.format('%d', NOW))) do
    if redis.call('ZREM', nodes, node) == 1 then
      redis.call('HSET', reaping, node, NOW + hold)
      claimed[#claimed + 1] = node
    end
  end
  local kv = redis.call('HGETALL', reaping)
  for j = 1, #kv, 2 do
    if tonumber(kv[j + 1]) < NOW then
      redis.call('HSET', reaping, kv[j], NOW + hold)
      claimed[#claimed + 1] = kv[j]
    end
  end
end
local live = redis.call('ZRANGEBYSCORE', nodes, '(' .. string.format('%d', NOW), '+inf', 'WITHSCORES')
return { live, claimed }
