package io.chatgateway.server.auth;

/**
 * A configured key cannot be used: a file that cannot be read, holds no key, holds a private key, or a key the
 * gateway refuses (RSA under 2048 bits, EC off P-256). The message names the setting and the file, never key
 * material. Thrown when the server is built, so that a gateway with a broken key never starts.
 */
public final class KeyConfigException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public KeyConfigException(String message) {
        super(message, null, false, false);
    }
}
