-- Shared by every script of the cluster (prepended when the script is loaded).
-- ARGV[1] = cluster name (key prefix), ARGV[2] = calling node, ARGV[3] = ttl in ms of the keys a node owns.
-- Keys of node N:   P:n:N:info (hash: stats, conns)   P:n:N:users (hash: user -> "conn/seq,conn/seq")
--                   P:n:N:rooms (hash: room -> connections on N)   P:n:N:room:R (hash: user -> "conn,conn")
--                   P:n:N:reaped (tombstone left by the peer that reaped N)
-- Shared keys:      P:nodes (zset: node -> lease deadline, ms of Redis time)   P:seq (registration order)
--                   P:clock (Redis time of the last lease refresh, to tell a stalled Redis from dead nodes)
-- Channels:         P:in:N (node N's inbox)   P:room:R (members of room R on any node)
local P = ARGV[1]
local SELF = ARGV[2]
local KEY_TTL = tonumber(ARGV[3])
local TOMBSTONE_TTL = 3600000

local function nkey(node, suffix)
  return P .. ':n:' .. node .. ':' .. suffix
end

local function roomkey(node, room)
  return P .. ':n:' .. node .. ':room:' .. room
end

local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

local NOW = now_ms()

local function live_nodes()
  return redis.call('ZRANGEBYSCORE', P .. ':nodes', '(' .. string.format('%d', NOW), '+inf')
end

-- Live nodes other than the caller: a node whose lease ran out no longer counts, even before it is reaped.
local function others()
  local out = {}
  for _, n in ipairs(live_nodes()) do
    if n ~= SELF then
      out[#out + 1] = n
    end
  end
  return out
end

local function touch(key)
  redis.call('PEXPIRE', key, KEY_TTL)
end

-- A comma-separated list used as a set.
local function entries(v)
  local t = {}
  if v then
    for e in string.gmatch(v, '[^,]+') do
      t[#t + 1] = e
    end
  end
  return t
end

local function entry_id(e)
  local i = string.find(e, '/', 1, true)
  if i then
    return string.sub(e, 1, i - 1)
  end
  return e
end

-- Removes the entry with this id from the list in a hash field, deleting the field when the list is left empty.
-- Returns whether it was there, and how many entries are left.
local function remove_entry(key, field, id)
  local keep, removed = {}, false
  for _, e in ipairs(entries(redis.call('HGET', key, field))) do
    if entry_id(e) == id then
      removed = true
    else
      keep[#keep + 1] = e
    end
  end
  if removed then
    if #keep == 0 then
      redis.call('HDEL', key, field)
    else
      redis.call('HSET', key, field, table.concat(keep, ','))
    end
  end
  return removed, #keep
end

local function entry_seq(e)
  local i = string.find(e, '/', 1, true)
  if i then
    return tonumber(string.sub(e, i + 1)) or 0
  end
  return 0
end

-- The pub/sub payload: kind, origin node, two arguments, publish time, then the frame (see Envelope.java).
local function envelope(kind, origin, a, b, body)
  return kind .. '\n' .. origin .. '\n' .. a .. '\n' .. b .. '\n' .. string.format('%d', NOW) .. '\n' .. body
end

local function member_event(kind, room, user)
  return '{"type":"' .. kind .. '","room":' .. cjson.encode(room) .. ',"user":' .. cjson.encode(user) .. '}'
end

local function in_room_on(nodes, room, user)
  for _, n in ipairs(nodes) do
    if redis.call('HEXISTS', roomkey(n, room), user) == 1 then
      return true
    end
  end
  return false
end

-- Drops every key of node N, announcing 'left' for each of its room members that no other live node has.
local function drop_node(node, tombstone)
  local live = {}
  for _, n in ipairs(live_nodes()) do
    if n ~= node then
      live[#live + 1] = n
    end
  end
  local rooms = nkey(node, 'rooms')
  for _, room in ipairs(redis.call('HKEYS', rooms)) do
    local rk = roomkey(node, room)
    for _, user in ipairs(redis.call('HKEYS', rk)) do
      if not in_room_on(live, room, user) then
        redis.call('PUBLISH', P .. ':room:' .. room, envelope('R', '', room, '', member_event('left', room, user)))
      end
    end
    redis.call('DEL', rk)
  end
  redis.call('DEL', rooms, nkey(node, 'users'), nkey(node, 'info'))
  if tombstone then
    redis.call('SET', nkey(node, 'reaped'), '1', 'PX', TOMBSTONE_TTL)
  end
end
