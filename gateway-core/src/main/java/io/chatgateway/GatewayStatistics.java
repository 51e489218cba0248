package io.chatgateway;

import io.chatgateway.protocol.ErrorCode;
import io.chatgateway.protocol.KickReason;

import java.util.Map;

/**
 * A snapshot of one node's state and counters, as the admin API and logs show it.
 *
 * @param connections              registered connections (authenticated or not)
 * @param authenticatedConnections connections with a user
 * @param users                    distinct users online
 * @param rooms                    rooms with at least one member
 * @param maxConnections           the connection limit
 * @param totalOpened              connections registered since start
 * @param totalClosed              connections removed since start
 * @param rejected                 connections refused with {@code server_busy}
 * @param averageAgeMillis         average age of the current connections
 * @param bytesIn                  payload bytes received
 * @param bytesOut                 payload bytes sent
 * @param messagesIn               frames received
 * @param messagesOut              frames sent
 * @param deliveries               messages handed to recipient connections
 * @param kicks                    kicks by reason
 * @param errors                   error frames sent, by code
 */
public record GatewayStatistics(
        int connections,
        int authenticatedConnections,
        int users,
        int rooms,
        int maxConnections,
        long totalOpened,
        long totalClosed,
        long rejected,
        long averageAgeMillis,
        long bytesIn,
        long bytesOut,
        long messagesIn,
        long messagesOut,
        long deliveries,
        Map<KickReason, Long> kicks,
        Map<ErrorCode, Long> errors) {

    public GatewayStatistics {
        kicks = Map.copyOf(kicks);
        errors = Map.copyOf(errors);
    }
}
