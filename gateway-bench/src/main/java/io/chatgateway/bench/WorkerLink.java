package io.chatgateway.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * A worker's side of its conversation with the coordinator: events out (progress, barrier reports, errors), and
 * the coordinator's release of each barrier in. In one process it is a pair of queues; a child process speaks it as
 * JSON lines on stdout and stdin.
 */
interface WorkerLink {
    void emit(ObjectNode event);

    /** Waits for the next release of barrier {@code name}; returns the data the coordinator sent with it. */
    JsonNode awaitRelease(String name) throws InterruptedException;
}
