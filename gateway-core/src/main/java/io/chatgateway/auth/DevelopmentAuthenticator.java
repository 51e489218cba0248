package io.chatgateway.auth;

/**
 * Development mode: the token is taken as the user id itself, nothing is verified. Only for trying the gateway
 * out; the server uses it only when no JWT secret is configured, and says so loudly at start.
 */
public final class DevelopmentAuthenticator implements Authenticator {
    @Override
    public String authenticate(String token) throws AuthenticationException {
        String problem = UserIds.problem(token);
        if (problem != null) {
            throw new AuthenticationException(problem);
        }
        return token;
    }

    @Override
    public boolean isDevelopmentMode() {
        return true;
    }

    @Override
    public String toString() {
        return "DevelopmentAuthenticator(token = user id, NOT VERIFIED)";
    }
}
