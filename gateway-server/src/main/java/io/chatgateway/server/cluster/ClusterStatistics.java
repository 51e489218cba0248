package io.chatgateway.server.cluster;

import io.chatgateway.GatewayStatistics;
import io.chatgateway.protocol.ErrorCode;
import io.chatgateway.protocol.KickReason;

import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * Statistics of every live node and their sum. Other nodes' figures are those they wrote at their last lease
 * refresh (at most a second old); this node's are current.
 *
 * @param nodes    one entry per live node, this node first
 * @param total    the sum over {@code nodes}; {@code averageAgeMillis} is weighted by connections
 * @param complete {@code false} when the broker could not be reached and only this node is listed
 */
public record ClusterStatistics(List<NodeStatistics> nodes, GatewayStatistics total, boolean complete) {

    /**
     * @param nodeId          the node
     * @param self            {@code true} for the node that answered
     * @param updatedAtMillis when the figures were taken (epoch milliseconds)
     * @param statistics      the node's figures
     */
    public record NodeStatistics(String nodeId, boolean self, long updatedAtMillis, GatewayStatistics statistics) {
    }

    public ClusterStatistics {
        nodes = List.copyOf(nodes);
    }

    static ClusterStatistics of(List<NodeStatistics> nodes, boolean complete) {
        return new ClusterStatistics(nodes, sum(nodes), complete);
    }

    static GatewayStatistics sum(List<NodeStatistics> nodes) {
        int connections = 0;
        int authenticated = 0;
        int users = 0;
        int rooms = 0;
        int maxConnections = 0;
        long opened = 0;
        long closed = 0;
        long rejected = 0;
        long ageWeighted = 0;
        long bytesIn = 0;
        long bytesOut = 0;
        long messagesIn = 0;
        long messagesOut = 0;
        long deliveries = 0;
        Map<KickReason, Long> kicks = new EnumMap<>(KickReason.class);
        Map<ErrorCode, Long> errors = new EnumMap<>(ErrorCode.class);
        for (NodeStatistics n : nodes) {
            GatewayStatistics s = n.statistics();
            connections += s.connections();
            authenticated += s.authenticatedConnections();
            // A user with connections on two nodes counts twice here: the sum of per-node distinct users.
            users += s.users();
            rooms += s.rooms();
            maxConnections += s.maxConnections();
            opened += s.totalOpened();
            closed += s.totalClosed();
            rejected += s.rejected();
            ageWeighted += s.averageAgeMillis() * s.connections();
            bytesIn += s.bytesIn();
            bytesOut += s.bytesOut();
            messagesIn += s.messagesIn();
            messagesOut += s.messagesOut();
            deliveries += s.deliveries();
            s.kicks().forEach((k, v) -> kicks.merge(k, v, Long::sum));
            s.errors().forEach((k, v) -> errors.merge(k, v, Long::sum));
        }
        return new GatewayStatistics(connections, authenticated, users, rooms, maxConnections, opened, closed,
                rejected, connections == 0 ? 0 : ageWeighted / connections, bytesIn, bytesOut, messagesIn,
                messagesOut, deliveries, kicks, errors);
    }
}
