-- ARGV[5] = 'depart': the caller leaves the cluster; 'restart': the caller starts and finds keys of an earlier
-- run under its node id (it was restarted within its lease). Both announce 'left' for every membership still
-- recorded that no other live node has. Anything else: the caller drops its keys quietly before it registers its
-- state anew (its memberships did not end).
local mode = ARGV[5]
if mode == 'depart' then
  redis.call('ZREM', P .. ':nodes', SELF)
  drop_node(SELF, false)
  if redis.call('ZCARD', P .. ':nodes') == 0 then
    redis.call('DEL', P .. ':nodes', P .. ':seq', P .. ':clock')
  end
elseif mode == 'restart' then
  drop_node(SELF, false)
else
  local rooms = nkey(SELF, 'rooms')
  for _, room in ipairs(redis.call('HKEYS', rooms)) do
    redis.call('DEL', roomkey(SELF, room))
  end
  redis.call('DEL', rooms, nkey(SELF, 'users'), nkey(SELF, 'info'))
end
return 1
