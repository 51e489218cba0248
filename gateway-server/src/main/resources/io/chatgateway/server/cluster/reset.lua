-- ARGV[4] = 'depart': the caller leaves the cluster (announcing 'left' for whatever membership it still has);
-- anything else: the caller drops its keys quietly before it registers its state anew.
if ARGV[4] == 'depart' then
  redis.call('ZREM', P .. ':nodes', SELF)
  drop_node(SELF, false)
  if redis.call('ZCARD', P .. ':nodes') == 0 then
    redis.call('DEL', P .. ':nodes', P .. ':seq', P .. ':clock')
  end
else
  local rooms = nkey(SELF, 'rooms')
  for _, room in ipairs(redis.call('HKEYS', rooms)) do
    redis.call('DEL', roomkey(SELF, room))
  end
  redis.call('DEL', rooms, nkey(SELF, 'users'), nkey(SELF, 'info'))
end
return 1
