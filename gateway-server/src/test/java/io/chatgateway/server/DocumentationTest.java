package io.chatgateway.server;

import io.chatgateway.server.config.Setting;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** The README's configuration table must not drift from the settings the server actually has. */
class DocumentationTest {

    @Test
    void readmeConfigurationTableListsEverySettingWithItsDefault() throws IOException {
        String readme = Files.readString(Path.of("..", "README.md"));
        for (Setting s : Setting.values()) {
            String row = "| `" + s.env() + "` | " + (s.defaultValue() == null ? "" : "`" + s.defaultValue() + "`");
            assertTrue(readme.contains(row), () -> "README.md lacks a configuration row starting with: " + row);
        }
    }
}
