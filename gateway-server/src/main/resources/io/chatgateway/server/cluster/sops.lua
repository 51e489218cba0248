-- A batch of operations whose keys all lie in ONE slot (the caller groups a batch by slot), applied in order.
-- ARGV[6] is the batch's deadline (epoch ms): a delivery Redis only gets to after it is dropped and answered -1.
-- From ARGV[7] on, every operation is four arguments: code, a, b, c. Returns one result per operation.
-- Connection ids start with their node's id ("N.17"), so a registry entry says which node holds it.
local EXPIRED = NOW > tonumber(ARGV[6])

local function node_of(conn)
  local i = string.find(conn, '.', 1, true)
  return i and string.sub(conn, 1, i - 1) or conn
end

-- ---- a user's slot: P:u:{U} holds node -> "conn/seq,...", and '#seq', the user's registration counter

-- Connections of the user on live nodes other than the caller, and how many nodes hold them (each of which must be
-- subscribed to the user's channel on this shard for them to count, see heard).
local function others_count(k)
  local count, nodes = 0, 0
  local kv = redis.call('HGETALL', k)
  for j = 1, #kv, 2 do
    local n = kv[j]
    if n ~= '#seq' and n ~= SELF and live(n) then
      local c = #entries(kv[j + 1])
      count = count + c
      if c > 0 then
        nodes = nodes + 1
      end
    end
  end
  return count, nodes
end

local function has_live_node(k, except)
  local kv = redis.call('HGETALL', k)
  for j = 1, #kv, 2 do
    local n = kv[j]
    if n ~= '#seq' and n ~= except and live(n) then
      return true
    end
  end
  return false
end

local function inbox_expires(k)
  if INBOX_SIZE > 0 then
    redis.call('PEXPIRE', k .. ':i', INBOX_TTL)
    redis.call('PEXPIRE', k .. ':il', INBOX_TTL)
  end
end

local function forget_if_empty(k)
  if redis.call('HLEN', k) <= 1 and redis.call('HEXISTS', k, '#seq') == 1 then
    redis.call('DEL', k)
  end
end

-- max < 0: a node back from an outage registers its connection again (see REG in ops.lua): limit -max, and a
-- connection the user's key no longer has ranks before every one registered meanwhile (seq 0).
local function reg(user, conn, max)
  local rejoin = max < 0
  if rejoin then
    max = -max
  end
  local k = ukey(user)
  local list = entries(redis.call('HGET', k, SELF))
  local found = false
  for _, e in ipairs(list) do
    if entry_id(e) == conn then
      found = true
    end
  end
  if not found then
    list[#list + 1] = conn .. '/' .. (rejoin and 0 or redis.call('HINCRBY', k, '#seq', 1))
    redis.call('HSET', k, SELF, table.concat(list, ','))
  end
  if INBOX_SIZE > 0 then
    meta(k .. ':i', k .. ':il', ONLINE_INBOX_TTL)
    redis.call('PEXPIRE', k .. ':i', ONLINE_INBOX_TTL)
  end
  local kicks = {}
  if max <= 0 then
    return kicks
  end
  local all = {}
  local kv = redis.call('HGETALL', k)
  for j = 1, #kv, 2 do
    local n = kv[j]
    if n ~= '#seq' and live(n) then
      for _, e in ipairs(entries(kv[j + 1])) do
        all[#all + 1] = { n, entry_id(e), entry_seq(e) }
      end
    end
  end
  if #all <= max then
    return kicks
  end
  table.sort(all, function(x, y) return x[3] < y[3] end)
  local remote = {}
  for j = 1, #all - max do
    local n, id = all[j][1], all[j][2]
    if id ~= conn or rejoin then -- a login never displaces itself; a connection registered again may
      if n == SELF then
        kicks[#kicks + 1] = id
      else
        remote[#remote + 1] = id
      end
    end
  end
  if #remote > 0 then
    redis.call('SPUBLISH', k .. ':ch', envelope('K', SELF, 'replaced', table.concat(remote, ' '), ''))
  end
  return kicks
end

local function unreg(user, conn)
  local k = ukey(user)
  local keep, removed = {}, false
  for _, e in ipairs(entries(redis.call('HGET', k, SELF))) do
    if entry_id(e) == conn then
      removed = true
    else
      keep[#keep + 1] = e
    end
  end
  if not removed then
    return 0
  end
  if #keep == 0 then
    redis.call('HDEL', k, SELF)
    if not has_live_node(k, SELF) then
      inbox_expires(k)
    end
    forget_if_empty(k)
  else
    redis.call('HSET', k, SELF, table.concat(keep, ','))
  end
  return 1
end

-- SEND / DISC / MEMB: one publish on the user's channel, which every node serving the user reads (the caller's own
-- copy is ignored by it). Returns the user's connections on the other live nodes.
-- Counted only when the channel reached at least as many subscribers as nodes hold the user (the caller included when
-- it holds one): after a shard failover the nodes are listed before they have subscribed to the promoted replica.
local function to_user(user, payload)
  local k = ukey(user)
  local count, nodes = others_count(k)
  if redis.call('HEXISTS', k, SELF) == 1 then
    nodes = nodes + 1
  end
  if count > 0 and redis.call('SPUBLISH', k .. ':ch', payload) >= nodes then
    return count
  end
  return 0
end

local function isend(user, open, arg)
  local ephemeral, exclude = flag_and_conn(arg)
  local k = ukey(user)
  local here = entries(redis.call('HGET', k, SELF))
  local count = #here
  for _, e in ipairs(here) do
    if entry_id(e) == exclude then
      count = count - 1
    end
  end
  local serving = #here > 0
  local others, nodes = others_count(k)
  count = count + others
  serving = serving or others > 0
  local unheard = false
  if count > 0 and not heard(k .. ':ch', nodes + (#here > 0 and 1 or 0)) then
    -- Some node holding the user is not subscribed here (a promoted replica): not delivered, kept in the inbox.
    count, unheard = 0, true
  end
  local epoch = meta(k .. ':i', k .. ':il', serving and ONLINE_INBOX_TTL or nil)
  if serving and epoch then
    redis.call('PEXPIRE', k .. ':i', ONLINE_INBOX_TTL)
  end
  if count == 0 and (epoch == nil or ephemeral or exclude ~= '') then
    return { 0, 0, 1 }
  end
  local offset = 0
  local frame
  if ephemeral then
    frame = finish(open, 0)
  else
    offset = redis.call('HINCRBY', k .. ':i', 'o', 1)
    frame = finish(open, offset)
    append(k .. ':il', frame, INBOX_SIZE, INBOX_TTL)
  end
  if count > 0 or (unheard and offset > 0) then
    -- (Also when kept for want of subscribers: the nodes that are subscribed deliver it live.)
    redis.call('SPUBLISH', k .. ':ch',
      envelope('I', SELF, user, string.format('%d', offset) .. ' ' .. epoch .. ' ' .. exclude, frame))
  end
  return { count, (count == 0 and not ephemeral) and 1 or 0, 0 }
end

-- DROPU user node: forgets every connection of a dead (or departing) node.
local function dropu(user, node)
  local k = ukey(user)
  if redis.call('HDEL', k, node) == 0 then
    return 0
  end
  if not has_live_node(k, node) then
    inbox_expires(k)
  end
  forget_if_empty(k)
  return 1
end

-- ---- a room's slot: P:r:{R}:u holds user -> "conn,conn" (of any node), P:r:{R}:n node -> connections

local function in_room_elsewhere(list, except)
  for _, e in ipairs(list) do
    local n = node_of(e)
    if n ~= except and live(n) then
      return true
    end
  end
  return false
end

local function join(room, user, conn, announce)
  local rk = rkey(room)
  local list = entries(redis.call('HGET', rk .. ':u', user))
  local here, live_elsewhere = false, false
  for _, e in ipairs(list) do
    if e == conn then
      local events = redis.call('HLEN', rk .. ':u') <= EVENTS_MAX
      return events and 2 or 0
    end
    local n = node_of(e)
    if n == SELF then
      here = true
    elseif live(n) then
      live_elsewhere = true
    end
  end
  local events = redis.call('HLEN', rk .. ':u') + (#list > 0 and 0 or 1) <= EVENTS_MAX
  local flag = events and 2 or 0
  list[#list + 1] = conn
  redis.call('HSET', rk .. ':u', user, table.concat(list, ','))
  redis.call('HINCRBY', rk .. ':n', SELF, 1)
  if ROOM_SIZE > 0 then
    redis.call('PEXPIRE', rk .. ':h', ROOM_TTL)
  end
  if here or not announce or not events or live_elsewhere then
    return flag
  end
  redis.call('SPUBLISH', rk .. ':ch', envelope('R', SELF, room, conn, member_event('joined', room, user)))
  return flag + 1
end

local function leave(room, user, arg)
  local sp = string.find(arg, ' ', 1, true)
  local conn, reason = arg, 'leave'
  if sp then
    conn, reason = string.sub(arg, 1, sp - 1), string.sub(arg, sp + 1)
  end
  local rk = rkey(room)
  local events = redis.call('HLEN', rk .. ':u') <= EVENTS_MAX
  local keep, removed = {}, false
  for _, e in ipairs(entries(redis.call('HGET', rk .. ':u', user))) do
    if e == conn then
      removed = true
    else
      keep[#keep + 1] = e
    end
  end
  if not removed then
    return 0
  end
  if #keep == 0 then
    redis.call('HDEL', rk .. ':u', user)
  else
    redis.call('HSET', rk .. ':u', user, table.concat(keep, ','))
  end
  if redis.call('HINCRBY', rk .. ':n', SELF, -1) <= 0 then
    redis.call('HDEL', rk .. ':n', SELF)
  end
  local still_here = false
  for _, e in ipairs(keep) do
    if node_of(e) == SELF then
      still_here = true
    end
  end
  if still_here or not events or in_room_elsewhere(keep, SELF) then
    return 0
  end
  redis.call('SPUBLISH', rk .. ':ch', envelope('R', SELF, room, '', member_event('left', room, user, reason)))
  return 1
end

-- Member connections of the room: on the caller (when `self`) and on the other live nodes; and how many live nodes
-- (the caller included) have members, each subscribed to the room's channel on this shard when all is well.
local function room_count(rk, self)
  local count, nodes = 0, 0
  local kv = redis.call('HGETALL', rk .. ':n')
  for j = 1, #kv, 2 do
    local n = kv[j]
    local c = tonumber(kv[j + 1]) or 0
    if (n == SELF and self) or (n ~= SELF and live(n)) then
      count = count + c
    end
    if c > 0 and (n == SELF or live(n)) then
      nodes = nodes + 1
    end
  end
  return count, nodes
end

-- Publishes on the room's channel; the members count only when it reached a subscriber per node with members (a
-- promoted replica lists the nodes before they have subscribed to it again).
local function room_publish(rk, count, nodes, payload)
  if count > 0 and redis.call('SPUBLISH', rk .. ':ch', payload) < nodes then
    return 0
  end
  return count
end

local function pub(room, payload)
  local rk = rkey(room)
  local count, nodes = room_count(rk, false)
  return room_publish(rk, count, nodes, payload)
end

local function hpub(room, open, arg)
  local ephemeral, exclude = flag_and_conn(arg)
  local rk = rkey(room)
  local epoch, offset = meta(rk .. ':h', rk .. ':hl', ROOM_TTL)
  if not ephemeral then
    offset = redis.call('HINCRBY', rk .. ':h', 'o', 1)
    open = finish(open, offset)
    append(rk .. ':hl', open, ROOM_SIZE, ROOM_TTL)
    redis.call('PEXPIRE', rk .. ':h', ROOM_TTL)
  else
    offset = 0
    open = finish(open, 0)
  end
  local count, nodes = room_count(rk, true)
  count = room_publish(rk, count, nodes,
    envelope('S', SELF, room, string.format('%d', offset) .. ' ' .. epoch .. ' ' .. exclude, open))
  if exclude ~= '' and count > 0 then
    count = count - 1
  end
  return count
end

-- DROPR room node "announce": forgets every membership of a dead (or departing) node, announcing 'left' (when
-- announce is 1 and the room announces) for each user left in the room on no live node.
local function dropr(room, node, announce)
  local rk = rkey(room)
  local events = announce == '1' and redis.call('HLEN', rk .. ':u') <= EVENTS_MAX
  local told = 0
  local kv = redis.call('HGETALL', rk .. ':u')
  for j = 1, #kv, 2 do
    local user = kv[j]
    local keep, removed = {}, false
    for _, e in ipairs(entries(kv[j + 1])) do
      if node_of(e) == node then
        removed = true
      else
        keep[#keep + 1] = e
      end
    end
    if removed then
      if #keep == 0 then
        redis.call('HDEL', rk .. ':u', user)
      else
        redis.call('HSET', rk .. ':u', user, table.concat(keep, ','))
      end
      if events and not in_room_elsewhere(keep, node) then
        redis.call('SPUBLISH', rk .. ':ch',
          envelope('R', '', room, '', member_event('left', room, user, 'disconnect')))
        told = told + 1
      end
    end
  end
  redis.call('HDEL', rk .. ':n', node)
  return told
end

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

-- ---- a node's slot

-- IDX kind name "+"/"-": the caller's index of the users ('u') and rooms ('r') it has entries for.
local function idx(kind, name, sign)
  local key = nkey(SELF) .. (kind == 'u' and ':users' or ':rooms')
  if sign == '+' then
    return redis.call('SADD', key, name)
  end
  return redis.call('SREM', key, name)
end

-- NALL node payload: a broadcast to node N's inbox. Returns N's connections when it was received.
local function nall(node, payload)
  local conns = tonumber(redis.call('HGET', nkey(node) .. ':info', 'conns')) or 0
  if redis.call('SPUBLISH', nkey(node) .. ':in', payload) > 0 then
    return conns
  end
  return 0
end

-- RPRES room limit: the room's users with a connection on another live node: { users (at most limit), more }.
local function rpres(room, limit)
  local out, more, cursor = {}, 0, '0'
  repeat
    local r = redis.call('HSCAN', rkey(room) .. ':u', cursor, 'COUNT', 256)
    cursor = r[1]
    for j = 1, #r[2], 2 do
      if in_room_elsewhere(entries(r[2][j + 1]), SELF) then
        if #out >= limit then
          more = 1
          break
        end
        out[#out + 1] = r[2][j]
      end
    end
  until cursor == '0' or more == 1
  return { out, more }
end

-- NPRES node limit: users online on node N (its index): { users (at most limit), more }.
local function npres(node, limit)
  local out, more, cursor = {}, 0, '0'
  repeat
    local r = redis.call('SSCAN', nkey(node) .. ':users', cursor, 'COUNT', 256)
    cursor = r[1]
    for _, u in ipairs(r[2]) do
      if #out >= limit then
        more = 1
        break
      end
      out[#out + 1] = u
    end
  until cursor == '0' or more == 1
  return { out, more }
end

local results = {}
local i = 7
while i + 3 <= #ARGV do
  local op, a, b, c = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3]
  i = i + 4
  local r
  if EXPIRED and (op == 'SEND' or op == 'DISC' or op == 'PUB' or op == 'NALL' or op == 'HPUB' or op == 'ISEND'
      or op == 'MEMB') then
    r = -1
  elseif op == 'HPUB' then
    r = hpub(a, b, c)
  elseif op == 'ISEND' then
    r = isend(a, b, c)
  elseif op == 'HREAD' then
    local rk = rkey(a)
    r = hread(rk .. ':h', rk .. ':hl', ROOM_TTL, b, c, true)
  elseif op == 'IREAD' then
    local k = ukey(a)
    r = hread(k .. ':i', k .. ':il', INBOX_TTL, b, c, false)
  elseif op == 'SEND' or op == 'DISC' then
    r = to_user(a, b)
  elseif op == 'MEMB' then
    r = to_user(a, envelope('M', SELF, a, b, ''))
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
  elseif op == 'DROPU' then
    r = dropu(a, b)
  elseif op == 'DROPR' then
    r = dropr(a, b, c)
  elseif op == 'UCNT' then
    r = others_count(ukey(a))
  elseif op == 'IDX' then
    r = idx(a, b, c)
  elseif op == 'NALL' then
    r = nall(a, b)
  elseif op == 'RPRES' then
    r = rpres(a, tonumber(b))
  elseif op == 'NPRES' then
    r = npres(a, tonumber(b))
  else
    return redis.error_reply('ERR unknown cluster operation ' .. tostring(op))
  end
  results[#results + 1] = r
end
return results
