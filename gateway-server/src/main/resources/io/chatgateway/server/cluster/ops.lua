-- A batch of registry operations and deliveries, applied in order. ARGV[4] is the batch's deadline (epoch ms):
-- the sender answered 'unavailable' after it, so a delivery that Redis only gets to later (it was stalled) is
-- dropped and answered -1 rather than delivered behind the sender's back. Registry operations apply anyway: the
-- sender undoes them in later batches. Then every operation is four arguments: code, a, b, c.
-- Returns one result per operation.
local OTHERS = others()
local EXPIRED = NOW > tonumber(ARGV[4])

-- REG user conn max: registers a connection; max > 0 applies the session limit across the cluster, kicking the
-- oldest connections with 'replaced' (remote ones through their node's inbox; local ones are returned).
local function reg(user, conn, max)
  local ukey = nkey(SELF, 'users')
  local list = entries(redis.call('HGET', ukey, user))
  local found = false
  for _, e in ipairs(list) do
    if entry_id(e) == conn then
      found = true
    end
  end
  if not found then
    local seq = redis.call('INCR', P .. ':seq')
    touch(P .. ':seq')
    list[#list + 1] = conn .. '/' .. seq
    redis.call('HSET', ukey, user, table.concat(list, ','))
    touch(ukey)
    local info = nkey(SELF, 'info')
    redis.call('HINCRBY', info, 'conns', 1)
    touch(info)
  end
  local kicks = {}
  if max <= 0 then
    return kicks
  end
  local all = {}
  for _, e in ipairs(list) do
    all[#all + 1] = { SELF, entry_id(e), entry_seq(e) }
  end
  for _, n in ipairs(OTHERS) do
    for _, e in ipairs(entries(redis.call('HGET', nkey(n, 'users'), user))) do
      all[#all + 1] = { n, entry_id(e), entry_seq(e) }
    end
  end
  if #all <= max then
    return kicks
  end
  table.sort(all, function(x, y) return x[3] < y[3] end)
  local remote = {}
  for k = 1, #all - max do
    local n, id = all[k][1], all[k][2]
    if id ~= conn then
      if n == SELF then
        kicks[#kicks + 1] = id
      elseif remote[n] then
        remote[n] = remote[n] .. ' ' .. id
      else
        remote[n] = id
      end
    end
  end
  for n, ids in pairs(remote) do
    redis.call('PUBLISH', P .. ':in:' .. n, envelope('K', SELF, 'replaced', ids, ''))
  end
  return kicks
end

-- UNREG user conn: forgets a connection. 1 when it was registered.
local function unreg(user, conn)
  if not remove_entry(nkey(SELF, 'users'), user, conn) then
    return 0
  end
  local info = nkey(SELF, 'info')
  if redis.call('HINCRBY', info, 'conns', -1) < 0 then
    redis.call('HSET', info, 'conns', 0)
  end
  return 1
end

-- JOIN room user conn: adds a member connection. 1 when this is the user's first connection in the room on any
-- live node, in which case 'joined' has been published to the other nodes (announce = false: never announce).
local function join(room, user, conn, announce)
  local rk = roomkey(SELF, room)
  local cur = redis.call('HGET', rk, user)
  local list = entries(cur)
  for _, e in ipairs(list) do
    if e == conn then
      return 0
    end
  end
  list[#list + 1] = conn
  redis.call('HSET', rk, user, table.concat(list, ','))
  touch(rk)
  local rooms = nkey(SELF, 'rooms')
  redis.call('HINCRBY', rooms, room, 1)
  touch(rooms)
  if cur or not announce or in_room_on(OTHERS, room, user) then
    return 0
  end
  redis.call('PUBLISH', P .. ':room:' .. room, envelope('R', SELF, room, conn, member_event('joined', room, user)))
  return 1
end

-- LEAVE room user conn: removes a member connection. 1 when it was the user's last connection in the room on any
-- live node, in which case 'left' has been published to the other nodes.
local function leave(room, user, conn)
  local removed, left = remove_entry(roomkey(SELF, room), user, conn)
  if not removed then
    return 0
  end
  local rooms = nkey(SELF, 'rooms')
  if redis.call('HINCRBY', rooms, room, -1) <= 0 then
    redis.call('HDEL', rooms, room)
  end
  if left > 0 or in_room_on(OTHERS, room, user) then
    return 0
  end
  redis.call('PUBLISH', P .. ':room:' .. room, envelope('R', SELF, room, '', member_event('left', room, user)))
  return 1
end

-- SEND user payload (also DISC): hands the payload to every other node holding a connection of the user.
-- Returns the connections on the nodes that received it.
local function send(user, payload)
  local count = 0
  for _, n in ipairs(OTHERS) do
    local v = redis.call('HGET', nkey(n, 'users'), user)
    if v then
      local c = #entries(v)
      if redis.call('PUBLISH', P .. ':in:' .. n, payload) > 0 then
        count = count + c
      end
    end
  end
  return count
end

-- PUB room payload: one publish on the room's channel, only when another node has members. Returns them.
local function pub(room, payload)
  local count = 0
  for _, n in ipairs(OTHERS) do
    count = count + (tonumber(redis.call('HGET', nkey(n, 'rooms'), room)) or 0)
  end
  if count > 0 then
    redis.call('PUBLISH', P .. ':room:' .. room, payload)
  end
  return count
end

-- ALL excludeUser payload: hands the payload to every other node. Returns their connections less the excluded user's.
local function all(exclude, payload)
  local count = 0
  for _, n in ipairs(OTHERS) do
    local c = tonumber(redis.call('HGET', nkey(n, 'info'), 'conns')) or 0
    if exclude ~= '' then
      c = c - #entries(redis.call('HGET', nkey(n, 'users'), exclude))
    end
    if redis.call('PUBLISH', P .. ':in:' .. n, payload) > 0 and c > 0 then
      count = count + c
    end
  end
  return count
end

local results = {}
local i = 5
while i + 3 <= #ARGV do
  local op, a, b, c = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3]
  i = i + 4
  local r
  if EXPIRED and (op == 'SEND' or op == 'DISC' or op == 'PUB' or op == 'ALL') then
    r = -1
  elseif op == 'SEND' or op == 'DISC' then
    r = send(a, b)
  elseif op == 'PUB' then
    r = pub(a, b)
  elseif op == 'REG' then
    r = reg(a, b, tonumber(c))
  elseif op == 'UNREG' then
    r = unreg(a, b)
  elseif op == 'JOIN' then
    r = join(a, b, c, true)
  elseif op == 'JOINQ' then
    r = join(a, b, c, false)
  elseif op == 'LEAVE' then
    r = leave(a, b, c)
  elseif op == 'ALL' then
    r = all(a, b)
  else
    return redis.error_reply('ERR unknown cluster operation ' .. tostring(op))
  end
  results[#results + 1] = r
end
return results
