package io.chatgateway.server.cluster;

import io.lettuce.core.RedisNoScriptException;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.async.RedisAsyncCommands;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * The Lua scripts of the cluster, each with {@code common.lua} in front, called by SHA with a fallback to the source
 * when Redis does not know the script (after a restart, or a {@code SCRIPT FLUSH}).
 */
final class Scripts {
    private static final String[] NO_KEYS = new String[0];

    /** Batched registry operations and deliveries. */
    static final Script OPS = load("ops");
    /** The lease, key expiry, reaping of dead nodes. */
    static final Script TICK = load("tick");
    /** Dropping the node's keys (resync or departure). */
    static final Script RESET = load("reset");
    /** Online users and room members of the other nodes. */
    static final Script PRESENCE = load("presence");
    /** Live nodes and their statistics. */
    static final Script NODES = load("nodes");
    /** Redis Cluster: a batch of operations of one slot. */
    static final Script SHARD_OPS = load("sharded", "sops");
    /** Redis Cluster: the lease and the claims to reap, on the cluster's own slot. */
    static final Script SHARD_TICK = load("sharded", "stick");
    /** Redis Cluster: the caller's info and tombstone, on its own slot. */
    static final Script SHARD_NODE = load("sharded", "snode");
    /** Redis Cluster: a dropped node's own keys. */
    static final Script SHARD_DROP = load("sharded", "sdrop");

    private Scripts() {
    }

    /** A script's source and SHA-1. */
    record Script(String name, byte[] source, String sha) {
    }

    private static Script load(String name) {
        return load("common", name);
    }

    private static Script load(String prefix, String name) {
        String source = resource(prefix) + "\n" + resource(name);
        byte[] bytes = source.getBytes(StandardCharsets.UTF_8);
        try {
            String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1").digest(bytes));
            return new Script(name, bytes, sha);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-1 is missing from this JVM", e);
        }
    }

    private static String resource(String name) {
        try (InputStream in = Scripts.class.getResourceAsStream(name + ".lua")) {
            if (in == null) {
                throw new IllegalStateException("cluster script " + name + ".lua is missing from the class path");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Runs a script; its arguments are the common ones (cluster name, node, key ttl) followed by {@code args}.
     *
     * @return the script's reply (nested lists of {@code Long} and {@code byte[]})
     */
    static CompletableFuture<List<Object>> run(RedisAsyncCommands<String, byte[]> redis, Script script, byte[][] args) {
        CompletableFuture<List<Object>> first = redis.<List<Object>>evalsha(script.sha(), ScriptOutputType.MULTI,
                NO_KEYS, args).toCompletableFuture();
        return first.handle((reply, error) -> {
            if (error == null) {
                return CompletableFuture.completedFuture(reply);
            }
            Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
            if (cause instanceof RedisNoScriptException
                    || cause.getMessage() != null && cause.getMessage().startsWith("NOSCRIPT")) {
                return redis.<List<Object>>eval(script.source(), ScriptOutputType.MULTI, NO_KEYS, args)
                        .toCompletableFuture();
            }
            return CompletableFuture.<List<Object>>failedFuture(cause);
        }).thenCompose(f -> f);
    }
}
