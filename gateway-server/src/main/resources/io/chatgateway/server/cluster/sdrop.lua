-- A node's slot, after its entries were dropped everywhere (reaped, departed or reset): ARGV[6] = the node,
-- ARGV[7] = 1 to leave a tombstone (it was reaped: if it was only cut off, it learns so at its next refresh).
local node = ARGV[6]
redis.call('DEL', nkey(node) .. ':info', nkey(node) .. ':users', nkey(node) .. ':rooms')
if ARGV[7] == '1' then
  redis.call('SET', nkey(node) .. ':reaped', '1', 'PX', TOMBSTONE_TTL)
end
return 1
