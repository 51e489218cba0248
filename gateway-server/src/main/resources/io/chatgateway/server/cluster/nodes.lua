-- Returns { node, lease deadline, statistics JSON, connections } for every live node.
local live = redis.call('ZRANGEBYSCORE', P .. ':nodes', '(' .. string.format('%d', NOW), '+inf', 'WITHSCORES')
local out = {}
for j = 1, #live, 2 do
  local n = live[j]
  local info = redis.call('HMGET', nkey(n, 'info'), 'stats', 'conns')
  out[#out + 1] = { n, live[j + 1], info[1] or '', info[2] or '0' }
end
return out
