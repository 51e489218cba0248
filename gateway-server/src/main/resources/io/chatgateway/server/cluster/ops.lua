-- A batch of registry operations and deliveries, applied in order. ARGV[5] is the batch's deadline (epoch ms):
-- the sender answered 'unavailable' after it, so a delivery that Redis only gets to later (it was stalled) is
-- dropped and answered -1 rather than delivered behind the sender's back. Registry operations apply anyway: the
-- sender undoes them in later batches. From ARGV[6] on, every operation is four arguments: code, a, b, c.
-- Returns one result per operation.
local OTHERS = others()
local EXPIRED = NOW > tonumber(ARGV[5])

-- REG user conn max: registers a connection (and keeps the user's inbox for as long as it is online, see tick.lua); max > 0 applies the session limit across the cluster, kicking the
-- oldest connections with 'replaced' (remote ones through their node's inbox; local ones are returned).
-- max < 0 is a node back from an outage registering its connection again: the limit is -max, and a connection
-- Redis no longer has ranks before every one registered meanwhile (seq 0), so that a login elsewhere while the
-- node was away keeps its session and this one is displaced, as the kick the node could not hear said.
local function reg(user, conn, max)
  local rejoin = max < 0
  if rejoin then
    max = -max
  end
  local ukey = nkey(SELF, 'users')
  local list = entries(redis.call('HGET', ukey, user))
  local found = false
  for _, e in ipairs(list) do
    if entry_id(e) == conn then
      found = true
    end
  end
  if not found then
    local seq = 0
    if not rejoin then
      seq = redis.call('INCR', P .. ':seq')
      touch(P .. ':seq')
    end
    list[#list + 1] = conn .. '/' .. seq
    redis.call('HSET', ukey, user, table.concat(list, ','))
    touch(ukey)
    local info = nkey(SELF, 'info')
    redis.call('HINCRBY', info, 'conns', 1)
    touch(info)
  end
  if INBOX_SIZE > 0 then
    -- The inbox lives as long as the user has a connection anywhere (and the inbox TTL after the last one).
    meta(ikey(user), ilist(user), ONLINE_INBOX_TTL)
    redis.call('PEXPIRE', ikey(user), ONLINE_INBOX_TTL)
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
    if id ~= conn or rejoin then -- a login never displaces itself; a connection registered again may
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
  local removed, left = remove_entry(nkey(SELF, 'users'), user, conn)
  if not removed then
    return 0
  end
  local info = nkey(SELF, 'info')
  if redis.call('HINCRBY', info, 'conns', -1) < 0 then
    redis.call('HSET', info, 'conns', 0)
  end
  if left == 0 and not online_on(OTHERS, user) then
    inbox_expires(user)
  end
  return 1
end

-- JOIN room user conn: adds a member connection. Returns bit 1 (value 1) when this is the user's first connection in
-- the room on any live node and 'joined' has been published to the other nodes (announce = false: never announce),
-- and bit 2 (value 2) when the room is within the announcement limit (the join ack's "events").
local function join(room, user, conn, announce)
  local rk = roomkey(SELF, room)
  local cur = redis.call('HGET', rk, user)
  local list = entries(cur)
  local events = room_users(OTHERS, room) + redis.call('HLEN', rk) + (cur and 0 or 1) <= EVENTS_MAX
  local flag = events and 2 or 0
  for _, e in ipairs(list) do
    if e == conn then
      return flag
    end
  end
  list[#list + 1] = conn
  redis.call('HSET', rk, user, table.concat(list, ','))
  touch(rk)
  local rooms = nkey(SELF, 'rooms')
  redis.call('HINCRBY', rooms, room, 1)
  touch(rooms)
  if cur or not announce or not events or in_room_on(OTHERS, room, user) then
    return flag
  end
  redis.call('PUBLISH', P .. ':room:' .. room, envelope('R', SELF, room, conn, member_event('joined', room, user)))
  return flag + 1
end

-- LEAVE room user "conn reason": removes a member connection. 1 when it was the user's last connection in the room
-- on any live node and the room announces, in which case 'left' with the reason has been published to the other
-- nodes.
local function leave(room, user, arg)
  local sp = string.find(arg, ' ', 1, true)
  local conn, reason = arg, 'leave'
  if sp then
    conn, reason = string.sub(arg, 1, sp - 1), string.sub(arg, sp + 1)
  end
  local events = room_users(OTHERS, room) + redis.call('HLEN', roomkey(SELF, room)) <= EVENTS_MAX
  local removed, left = remove_entry(roomkey(SELF, room), user, conn)
  if not removed then
    return 0
  end
  local rooms = nkey(SELF, 'rooms')
  if redis.call('HINCRBY', rooms, room, -1) <= 0 then
    redis.call('HDEL', rooms, room)
  end
  if left > 0 or not events or in_room_on(OTHERS, room, user) then
    return 0
  end
  redis.call('PUBLISH', P .. ':room:' .. room, envelope('R', SELF, room, '', member_event('left', room, user, reason)))
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

-- PUB room payload: one publish on the room's channel, only when another node has members. Returns them (those of
-- nodes subscribed to this server).
local function pub(room, payload)
  local count = 0
  for _, n in ipairs(OTHERS) do
    local c = tonumber(redis.call('HGET', nkey(n, 'rooms'), room)) or 0
    if c > 0 and listening(n) then
      count = count + c
    end
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

-- Parses "<flag> <conn>" (conn may be empty).
local function flag_and_conn(arg)
  local sp = string.find(arg, ' ', 1, true)
  return string.sub(arg, 1, sp - 1) == '1', string.sub(arg, sp + 1)
end

-- Finishes an open message frame (see ServerFrames.openMessage) with its offset.
local function finish(open, offset)
  if offset > 0 then
    return open .. ',"offset":' .. string.format('%d', offset) .. '}'
  end
  return open .. '}'
end

-- HPUB room open "ephemeral exclude": a room message with history: assigns the next offset, keeps the frame and
-- publishes it (kind S, b = "offset epoch exclude") to every node with members, the caller's own included, so that
-- all members everywhere get it in offset order. Returns the member connections of all live nodes subscribed to this
-- server, less the excluded sender.
local function hpub(room, open, arg)
  local ephemeral, exclude = flag_and_conn(arg)
  local epoch, offset = meta(hkey(room), hlist(room), ROOM_TTL)
  if not ephemeral then
    offset = redis.call('HINCRBY', hkey(room), 'o', 1)
    local frame = finish(open, offset)
    append(hlist(room), frame, ROOM_SIZE, ROOM_TTL)
    redis.call('PEXPIRE', hkey(room), ROOM_TTL)
    open = frame
  else
    offset = 0
    open = finish(open, 0)
  end
  local mine = tonumber(redis.call('HGET', nkey(SELF, 'rooms'), room)) or 0
  local count, members = 0, mine
  if mine > 0 and listening(SELF) then
    -- The excluded sender is one of this node's members.
    count = exclude ~= '' and mine - 1 or mine
  end
  for _, n in ipairs(OTHERS) do
    local c = tonumber(redis.call('HGET', nkey(n, 'rooms'), room)) or 0
    members = members + c
    if c > 0 and listening(n) then
      count = count + c
    end
  end
  if members > 0 then
    redis.call('PUBLISH', P .. ':room:' .. room,
      envelope('S', SELF, room, string.format('%d', offset) .. ' ' .. epoch .. ' ' .. exclude, open))
  end
  return count
end

-- ISEND user open "ephemeral exclude": a direct message with an inbox: every node holding a connection of the user
-- (the caller's own included) and subscribed to this server gets it (kind I, b = "offset epoch exclude") in inbox
-- order, and it is kept unless ephemeral. Returns { connections it went to, 1 when kept for a user without
-- connections reached, 1 when lost }.
local function isend(user, open, arg)
  local ephemeral, exclude = flag_and_conn(arg)
  local nodes, count, online = {}, 0, false
  local here = entries(redis.call('HGET', nkey(SELF, 'users'), user))
  if #here > 0 then
    online = true
    if listening(SELF) then
      local c = #here
      for _, e in ipairs(here) do
        if entry_id(e) == exclude then
          c = c - 1
        end
      end
      nodes[#nodes + 1] = SELF
      count = count + c
    end
  end
  for _, n in ipairs(OTHERS) do
    local v = redis.call('HGET', nkey(n, 'users'), user)
    if v then
      online = true
      if listening(n) then
        nodes[#nodes + 1] = n
        count = count + #entries(v)
      end
    end
  end
  local epoch = meta(ikey(user), ilist(user), online and ONLINE_INBOX_TTL or nil)
  -- Nobody else to write to and no inbox to keep it in; a send to oneself reaching no other connection is not kept.
  if count == 0 and (epoch == nil or ephemeral or exclude ~= '') then
    return { 0, 0, 1 }
  end
  local offset = 0
  local frame
  if ephemeral then
    frame = finish(open, 0)
  else
    offset = redis.call('HINCRBY', ikey(user), 'o', 1)
    frame = finish(open, offset)
    append(ilist(user), frame, INBOX_SIZE, INBOX_TTL)
  end
  if count > 0 then
    local payload = envelope('I', SELF, user, string.format('%d', offset) .. ' ' .. epoch .. ' ' .. exclude, frame)
    for _, n in ipairs(nodes) do
      redis.call('PUBLISH', P .. ':in:' .. n, payload)
    end
  end
  return { count, (count == 0 and not ephemeral) and 1 or 0, 0 }
end

-- HREAD room "limit" "after": a room's epoch, latest offset, recovered (-1 without `after`, else 0/1) and messages;
-- IREAD user ... the same for an inbox. `after` is "" or "offset epoch"; limit 0 means all (a replay).
local function hread(key, list, ttl, limit, after, create)
  local epoch, last = meta(key, list, create and ttl or nil)
  if epoch == nil then
    return { '', 0, -1 }
  end
  local out = { epoch, last, -1 }
  if after ~= '' then
    local sp = string.find(after, ' ', 1, true)
    local off, e = tonumber(string.sub(after, 1, sp - 1)), string.sub(after, sp + 1)
    if e ~= epoch or off > last then
      out[3] = 0
      return out
    end
    if off == last then
      out[3] = 1
      return out
    end
    local recovered, frames = read(list, last, off, tonumber(limit), ttl)
    out[3] = recovered
    for _, f in ipairs(frames) do
      out[#out + 1] = f
    end
    return out
  end
  local _, frames = read(list, last, nil, tonumber(limit), ttl)
  for _, f in ipairs(frames) do
    out[#out + 1] = f
  end
  return out
end

-- MEMB user "<op> room": server-side membership; op is "J<right>" (join, right r or p) or "L" (leave). Hands it to
-- every other node holding a connection of the user. Returns those connections.
local function memb(user, arg)
  local count = 0
  local payload = envelope('M', SELF, user, arg, '')
  for _, n in ipairs(OTHERS) do
    local v = redis.call('HGET', nkey(n, 'users'), user)
    if v and redis.call('PUBLISH', P .. ':in:' .. n, payload) > 0 then
      count = count + #entries(v)
    end
  end
  return count
end

local results = {}
local i = 6
while i + 3 <= #ARGV do
  local op, a, b, c = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3]
  i = i + 4
  local r
  if EXPIRED and (op == 'SEND' or op == 'DISC' or op == 'PUB' or op == 'ALL' or op == 'HPUB' or op == 'ISEND'
      or op == 'MEMB') then
    r = -1
  elseif op == 'HPUB' then
    r = hpub(a, b, c)
  elseif op == 'ISEND' then
    r = isend(a, b, c)
  elseif op == 'HREAD' then
    r = hread(hkey(a), hlist(a), ROOM_TTL, b, c, true)
  elseif op == 'IREAD' then
    r = hread(ikey(a), ilist(a), INBOX_TTL, b, c, false)
  elseif op == 'MEMB' then
    r = memb(a, b)
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
