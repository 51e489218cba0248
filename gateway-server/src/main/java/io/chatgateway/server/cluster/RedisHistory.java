package io.chatgateway.server.cluster;

import io.chatgateway.history.History;
import io.chatgateway.history.HistoryPage;
import io.chatgateway.history.HistoryStats;
import io.chatgateway.history.Position;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;

/**
 * Room history in a cluster: kept in Redis by {@code ops.lua} (a list per room, {@code P:hl:R}, and the epoch and
 * latest offset in {@code P:h:R}), written by the same script call that publishes each message, and read here for
 * the {@code history} frame, the admin API and resumed joins.
 */
final class RedisHistory implements History {
    private final RedisCluster cluster;
    private final long maxPageBytes;

    /**
     * @param maxPageBytes most frame bytes in one page or replay (what one connection may buffer)
     */
    RedisHistory(RedisCluster cluster, long maxPageBytes) {
        this.cluster = cluster;
        this.maxPageBytes = maxPageBytes;
    }

    /** A read's answer: position, whether a {@code since} was recovered ({@code null} without one), messages. */
    record Read(Position position, Boolean recovered, List<byte[]> messages) {
    }

    @Override
    public CompletionStage<HistoryPage> read(String room, Position since, int limit) {
        if (!cluster.isAvailable()) {
            return java.util.concurrent.CompletableFuture.failedFuture(
                    cluster.unavailable("history is kept in the broker"));
        }
        return cluster.submit(Op.roomRead(room, since, limit)).handle((reply, error) -> {
            if (error != null) {
                throw new CompletionException(cluster.failure("history", error));
            }
            Read r = parse(reply);
            List<byte[]> messages = r.messages();
            long total = 0;
            for (byte[] m : messages) {
                total += m.length;
            }
            // Cut to one page: the latest ones without since, the first ones after since (to page on from there).
            int from = 0;
            int to = messages.size();
            while (total > maxPageBytes && from < to) {
                total -= since == null ? messages.get(from++).length : messages.get(--to).length;
            }
            return new HistoryPage(r.position(), messages.subList(from, to), r.recovered());
        });
    }

    /**
     * A read for a resumed join or login: all messages after {@code since}, or none and not recovered when they
     * would not fit in what one connection may buffer.
     */
    Read replay(Object reply) {
        Read r = parse(reply);
        long total = 0;
        for (byte[] m : r.messages()) {
            total += m.length;
        }
        if (total > maxPageBytes) {
            return new Read(r.position(), Boolean.FALSE, List.of());
        }
        return r;
    }

    /** {@code ops.lua}'s HREAD / IREAD answer: epoch, latest offset, recovered (-1 = not asked, 0, 1), frames. */
    private static Read parse(Object reply) {
        List<?> r = (List<?>) reply;
        String epoch = RedisCluster.string(r.get(0));
        long last = (Long) r.get(1);
        long recovered = (Long) r.get(2);
        List<byte[]> messages = new ArrayList<>(r.size() - 3);
        for (int i = 3; i < r.size(); i++) {
            messages.add((byte[]) r.get(i));
        }
        return new Read(new Position(epoch, last), recovered < 0 ? null : recovered == 1, messages);
    }

    @Override
    public HistoryStats stats() {
        // Held in Redis: its INFO says how much, not this node.
        return HistoryStats.UNKNOWN;
    }
}
