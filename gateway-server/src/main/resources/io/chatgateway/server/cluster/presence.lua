-- ARGV[5] = room ('' for every online user), ARGV[6] = limit.
-- Returns { users on the other live nodes (at most limit, each once), 1 when there are more }.
local room, limit = ARGV[5], tonumber(ARGV[6])
local seen, out, more = {}, {}, 0
for _, n in ipairs(others()) do
  local key = nkey(n, 'users')
  if room ~= '' then
    key = roomkey(n, room)
  end
  local cursor = '0'
  repeat
    local r = redis.call('HSCAN', key, cursor, 'COUNT', 256)
    cursor = r[1]
    local kv = r[2]
    for j = 1, #kv, 2 do
      local u = kv[j]
      if not seen[u] then
        if #out >= limit then
          more = 1
          break
        end
        seen[u] = true
        out[#out + 1] = u
      end
    end
  until cursor == '0' or more == 1
  if more == 1 then
    break
  end
end
return { out, more }
