package io.chatgateway.server.deploy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

/** The repository's root, found from the module directory Surefire runs in. */
final class RepoRoot {
    private RepoRoot() {
    }

    static Path find() {
        for (Path p = Paths.get("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isRegularFile(p.resolve("docker-compose.yml")) && Files.isRegularFile(p.resolve("pom.xml"))
                    && Files.isDirectory(p.resolve("gateway-server"))) {
                return p;
            }
        }
        throw new AssertionError("repository root (with docker-compose.yml) not found above "
                + Paths.get("").toAbsolutePath());
    }
}
