package io.chatgateway.server.config;

import java.util.List;

/**
 * The configuration cannot be used; {@link #problems()} lists every reason, each naming the setting, where its
 * value came from, and what was expected.
 */
public final class ConfigException extends Exception {
    private static final long serialVersionUID = 1L;

    private final List<String> problems;

    public ConfigException(List<String> problems) {
        super(String.join("; ", problems));
        this.problems = List.copyOf(problems);
    }

    public List<String> problems() {
        return problems;
    }
}
