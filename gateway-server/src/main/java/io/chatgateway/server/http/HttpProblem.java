package io.chatgateway.server.http;

import io.netty.handler.codec.http.HttpResponseStatus;

/**
 * A request that cannot be served, with the status and the machine-readable code of the JSON error that answers it.
 * Thrown inside the routes and turned into a response in one place; carries no stack trace (it is not a fault).
 */
final class HttpProblem extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final HttpResponseStatus status;
    private final String code;
    private final String allow;

    HttpProblem(HttpResponseStatus status, String code, String message) {
        this(status, code, message, null);
    }

    private HttpProblem(HttpResponseStatus status, String code, String message, String allow) {
        super(message, null, false, false);
        this.status = status;
        this.code = code;
        this.allow = allow;
    }

    static HttpProblem badRequest(String message) {
        return new HttpProblem(HttpResponseStatus.BAD_REQUEST, "bad_request", message);
    }

    static HttpProblem notFound(String message) {
        return new HttpProblem(HttpResponseStatus.NOT_FOUND, "not_found", message);
    }

    static HttpProblem methodNotAllowed(String allow) {
        return new HttpProblem(HttpResponseStatus.METHOD_NOT_ALLOWED, "method_not_allowed",
                "method not allowed here (allowed: " + allow + ")", allow);
    }

    static HttpProblem tooLarge(String message) {
        return new HttpProblem(HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE, "payload_too_large", message);
    }

    HttpResponseStatus status() {
        return status;
    }

    String code() {
        return code;
    }

    /** The {@code Allow} header of a 405, else {@code null}. */
    String allow() {
        return allow;
    }
}
