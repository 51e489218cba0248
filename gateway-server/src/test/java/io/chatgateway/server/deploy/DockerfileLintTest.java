package io.chatgateway.server.deploy;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Lints the Dockerfile without a Docker engine. Hadolint is not packaged here, so this class checks the hadolint
 * rules that matter for this image (their ids in the test names), plus what the project asks of the image: a
 * multi-stage build, a JRE runtime on glibc, a non-root user, both ports, a health check on /healthz that needs no
 * tool the base image lacks, container-aware JVM flags and a build-time proof that native epoll loads.
 */
class DockerfileLintTest {
    private static final Pattern PINNED_IMAGE = Pattern.compile("^[a-z0-9./_-]+(:[A-Za-z0-9._-]+|@sha256:[a-f0-9]{64})$");
    private static Path root;
    private static Dockerfile docker;

    @BeforeAll
    static void read() {
        root = RepoRoot.find();
        docker = Dockerfile.read(root.resolve("Dockerfile"));
    }

    private static String image(Dockerfile.Instruction from) {
        String[] parts = from.args().split("\\s+");
        int i = 0;
        while (parts[i].startsWith("--")) {
            i++;
        }
        return parts[i];
    }

    @Test
    void dl3006Dl3007EveryBaseImageHasAFixedTagOrDigest() {
        for (Dockerfile.Instruction from : docker.all("FROM")) {
            String image = image(from);
            if (docker.stageNames.contains(image)) {
                continue;
            }
            assertTrue(PINNED_IMAGE.matcher(image).matches(), "untagged base image: " + from);
            assertFalse(image.endsWith(":latest"), "latest is not a version: " + from);
        }
    }

    @Test
    void isAMultiStageBuildFromMavenToAGlibcJre() {
        List<Dockerfile.Instruction> froms = docker.all("FROM");
        assertTrue(froms.size() >= 2, "multi-stage: a build stage and a runtime stage");
        assertNotNull(docker.stageNames.get(0), "the build stage is named");
        assertTrue(image(froms.get(0)).startsWith("maven:"), "Maven builds: " + froms.get(0));
        String runtime = image(froms.get(froms.size() - 1));
        assertTrue(runtime.startsWith("eclipse-temurin:17-jre"), "a Java 17 JRE runs the gateway: " + runtime);
        assertFalse(runtime.contains("alpine"), "musl would not load Netty's glibc epoll library: " + runtime);
        String build = String.join(" ", docker.inStage(0, "RUN").stream().map(Dockerfile.Instruction::args).toList());
        assertTrue(build.contains("mvn") && build.contains("-DskipTests") && build.contains("package"), build);
        assertTrue(build.contains("gateway-server/target/gateway-server.jar"), build);
        assertTrue(build.contains("gateway-bench/target/gateway-bench.jar"), "the bench jar is shipped when built");
    }

    @Test
    void dl3022CopyFromNamesAnEarlierStage() {
        for (Dockerfile.Instruction copy : docker.all("COPY")) {
            Matcher m = Pattern.compile("--from=(\\S+)").matcher(copy.args());
            if (m.find()) {
                int index = docker.stageNames.indexOf(m.group(1));
                assertTrue(index >= 0 && index < copy.stage(), "COPY --from an unknown or later stage: " + copy);
            }
        }
    }

    @Test
    void dl3002RunsAsANonRootUser() {
        List<Dockerfile.Instruction> users = docker.inStage(docker.lastStage(), "USER");
        assertFalse(users.isEmpty(), "the runtime stage sets USER");
        String user = users.get(users.size() - 1).args().split(":")[0];
        assertFalse(user.equals("root") || user.equals("0"), "last USER is root");
        int userIndex = docker.instructions.indexOf(users.get(users.size() - 1));
        for (Dockerfile.Instruction i : docker.instructions.subList(userIndex, docker.instructions.size())) {
            assertFalse(i.keyword().equals("RUN"), "nothing runs after USER that needs root: " + i);
        }
    }

    @Test
    void dl3020Dl4000Dl3004NoAddNoMaintainerNoSudo() {
        assertTrue(docker.all("ADD").isEmpty(), "COPY, not ADD, for local files");
        assertTrue(docker.all("MAINTAINER").isEmpty(), "MAINTAINER is deprecated: use a LABEL");
        for (Dockerfile.Instruction run : docker.all("RUN")) {
            assertFalse(run.args().matches(".*\\bsudo\\b.*"), "no sudo: " + run);
        }
    }

    @Test
    void dl3000Dl3003WorkdirIsAbsoluteAndRunNeverCds() {
        for (Dockerfile.Instruction w : docker.all("WORKDIR")) {
            assertTrue(w.args().startsWith("/"), "relative WORKDIR: " + w);
        }
        for (Dockerfile.Instruction run : docker.all("RUN")) {
            assertFalse(run.args().matches("(^|.*(&&|;)\\s*)cd\\s.*"), "use WORKDIR instead of cd: " + run);
        }
    }

    @Test
    void dl3008Dl3009Dl3015AptInstallsAreMinimalAndCleanedUp() {
        for (Dockerfile.Instruction run : docker.all("RUN")) {
            if (run.args().contains("apt-get install")) {
                assertTrue(run.args().contains("--no-install-recommends"), "DL3015: " + run);
                assertTrue(run.args().contains("rm -rf /var/lib/apt/lists/*"), "DL3009: " + run);
                assertTrue(run.args().contains(" -y") || run.args().contains("--yes"), "DL3014: " + run);
            }
        }
    }

    @Test
    void dl4006PipesInRunFailTheBuild() {
        boolean pipefail = false;
        for (Dockerfile.Instruction i : docker.instructions) {
            if (i.keyword().equals("SHELL")) {
                pipefail = i.args().contains("pipefail");
            }
            if (i.keyword().equals("RUN") && i.args().replace("||", "").contains("|")) {
                assertTrue(pipefail, "DL4006: a pipe in RUN without SHELL [... -o pipefail ...]: " + i);
            }
        }
    }

    @Test
    void dl3025EntrypointAndCmdUseTheExecForm() {
        for (String k : new String[] {"ENTRYPOINT", "CMD"}) {
            for (Dockerfile.Instruction i : docker.all(k)) {
                assertTrue(i.args().startsWith("[") && i.args().endsWith("]"), "exec form, so SIGTERM reaches java: " + i);
            }
        }
        List<Dockerfile.Instruction> entry = docker.inStage(docker.lastStage(), "ENTRYPOINT");
        assertEquals(1, entry.size());
        assertEquals("[\"/app/gateway\"]", entry.get(0).args(), "the launcher, which execs java (PID 1)");
    }

    @Test
    void exposesTheWebSocketAndTcpPorts() {
        String exposed = String.join(" ", docker.inStage(docker.lastStage(), "EXPOSE").stream()
                .map(Dockerfile.Instruction::args).toList());
        assertTrue(exposed.matches(".*\\b8080\\b.*") && exposed.matches(".*\\b9090\\b.*"), exposed);
    }

    @Test
    void healthcheckProbesHealthzWithToolsTheImageHas() {
        List<Dockerfile.Instruction> hc = docker.inStage(docker.lastStage(), "HEALTHCHECK");
        assertEquals(1, hc.size(), "one HEALTHCHECK in the runtime image");
        String args = hc.get(0).args();
        assertTrue(args.contains("/healthz"), args);
        assertTrue(args.contains("CMD [\"bash\""), "exec form through bash (present in the Ubuntu-based JRE image)");
        assertFalse(args.matches(".*\\b(curl|wget|nc)\\b.*"), "the JRE image has no curl, wget or nc: " + args);
        assertTrue(args.contains("--interval=") && args.contains("--timeout=") && args.contains("--retries="), args);
    }

    @Test
    void jvmFlagsComeFromTheLauncherAndFollowTheContainersMemoryLimit() throws IOException {
        String build = String.join(" ", docker.inStage(0, "RUN").stream().map(Dockerfile.Instruction::args).toList());
        assertTrue(build.contains("install -m 0755 bin/gateway /out/gateway"), "the launcher ships beside the jar: " + build);
        String launcher = Files.readString(root.resolve("bin/gateway"));
        String defaults = launcher.substring(launcher.indexOf("defaults=("), launcher.indexOf(")", launcher.indexOf("defaults=(")));
        assertTrue(defaults.contains("-XX:MaxRAMPercentage="), "heap ceiling from the container limit: " + defaults);
        assertTrue(defaults.contains("-XX:+ExitOnOutOfMemoryError"), "let the orchestrator restart a broken JVM: " + defaults);
        assertFalse(defaults.matches(".*-Xmx\\d.*"), "a fixed -Xmx ignores the container limit: " + defaults);
        assertTrue(launcher.contains("exec \"$java\""), "exec, so that SIGTERM reaches java");
        String env = String.join(" ", docker.inStage(docker.lastStage(), "ENV").stream()
                .map(Dockerfile.Instruction::args).toList());
        assertFalse(env.contains("JDK_JAVA_OPTIONS="), "no second set of heap flags behind the launcher's: " + env);
    }

    @Test
    void theBuildProvesThatNativeEpollLoads() {
        boolean checked = docker.inStage(docker.lastStage(), "RUN").stream()
                .anyMatch(r -> r.args().contains("io.chatgateway.server.health.NativeTransportCheck"));
        assertTrue(checked, "the runtime stage runs NativeTransportCheck");
    }

    @Test
    void dockerignoreKeepsBuildOutputAndGitOutOfTheContext() throws IOException {
        List<String> lines = Files.readAllLines(root.resolve(".dockerignore"));
        assertTrue(lines.contains("**/target"), ".dockerignore must exclude **/target");
        assertTrue(lines.contains(".git"), ".dockerignore must exclude .git");
    }

    @Test
    void parserJoinsContinuationsAndSkipsComments() {
        Dockerfile d = Dockerfile.parse("# c\nFROM a:1 AS x\nRUN a \\\n  # inner\n  && b\n\nFROM b:2\nUSER 1\n");
        assertEquals(Arrays.asList("x", null), d.stageNames);
        assertEquals("a && b", d.all("RUN").get(0).args());
        assertEquals(1, d.all("USER").get(0).stage());
        try {
            Dockerfile.parse("FROM a:1\nRUN x \\\n");
            fail("an unfinished continuation must be refused");
        } catch (AssertionError expected) {
            assertTrue(expected.getMessage().contains("continuation"));
        }
    }
}
