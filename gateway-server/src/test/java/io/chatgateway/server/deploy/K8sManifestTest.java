package io.chatgateway.server.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.chatgateway.server.config.ConfigLoader;
import io.chatgateway.server.config.Setting;
import io.kubernetes.client.openapi.models.V1ConfigMap;
import io.kubernetes.client.openapi.models.V1Deployment;
import io.kubernetes.client.openapi.models.V1PodDisruptionBudget;
import io.kubernetes.client.openapi.models.V1Service;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Validates deploy/k8s/ against the Kubernetes API schema, then checks what the API server would also refuse and
 * what docs/operations.md promises.
 *
 * <p>kubeconform cannot be installed here (its releases are GitHub downloads; neither npm nor Maven Central has
 * it). The schema comes instead from the official Kubernetes Java client's API models
 * ({@code io.kubernetes:client-java-api}, Kubernetes 1.35), which are generated from the Kubernetes OpenAPI spec:
 * each model's {@code fromJson} refuses a field the schema does not define (at any depth), a missing required
 * field, an object where a list belongs and the reverse, then parses every value into its type (integers,
 * int-or-string ports, resource quantities). A manifest whose apiVersion and kind are not one of the four types
 * used here (ConfigMap, Service, apps/v1 Deployment, policy/v1 PodDisruptionBudget) is refused too. The models do
 * not know enum values or the API server's own rules (label selectors matching, name formats), so
 * {@link #problems} checks those that matter here. Each kind of check is shown to reject a broken manifest.
 */
class K8sManifestTest {
    private static final YAMLMapper YAML = new YAMLMapper();
    private static final Map<String, Class<?>> MODELS = Map.of(
            "v1/ConfigMap", V1ConfigMap.class,
            "v1/Service", V1Service.class,
            "apps/v1/Deployment", V1Deployment.class,
            "policy/v1/PodDisruptionBudget", V1PodDisruptionBudget.class);
    private static final String DNS_LABEL = "[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?";
    /** IANA_SVC_NAME: what a container port's name may be. */
    private static final String PORT_NAME = "(?=.*[a-z])[a-z0-9]([-a-z0-9]{0,13}[a-z0-9])?";
    private static Path dir;

    /** One document of a manifest file. */
    record Manifest(String where, JsonNode json) {
        String kind() {
            return json.path("kind").asText();
        }
    }

    @BeforeAll
    static void find() {
        dir = RepoRoot.find().resolve("deploy/k8s");
    }

    private static List<Manifest> read(String file, String text) throws IOException {
        List<Manifest> out = new ArrayList<>();
        try (MappingIterator<JsonNode> docs = YAML.readerFor(JsonNode.class).readValues(text)) {
            int i = 0;
            while (docs.hasNext()) {
                JsonNode doc = docs.next();
                i++;
                if (doc != null && !doc.isNull() && !doc.isEmpty()) {
                    out.add(new Manifest(file + (i > 1 ? " #" + i : ""), doc));
                }
            }
        }
        return out;
    }

    private static List<Manifest> all() throws IOException {
        List<Manifest> out = new ArrayList<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".yaml")).sorted().toList()) {
                out.addAll(read(f.getFileName().toString(), Files.readString(f, StandardCharsets.UTF_8)));
            }
        }
        return out;
    }

    /** The Kubernetes API model of the manifest; fails with the model's words when the schema refuses it. */
    static Object validate(Manifest m) {
        String type = m.json().path("apiVersion").asText() + "/" + m.kind();
        Class<?> model = MODELS.get(type);
        if (model == null) {
            throw new AssertionError(m.where() + ": " + type + " is not a type these manifests use (see MODELS)");
        }
        try {
            return model.getMethod("fromJson", String.class).invoke(null, m.json().toString());
        } catch (InvocationTargetException e) {
            if (e.getCause() instanceof ClassCastException) {
                // How some models notice an object where the schema has a list (or the reverse) for an optional field.
                throw new AssertionError(m.where() + ": a value of the wrong shape (object, list or scalar) for the"
                        + " schema: " + e.getCause().getMessage(), e.getCause());
            }
            throw new AssertionError(m.where() + ": " + e.getCause(), e.getCause());
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void enumValue(List<String> problems, String where, JsonNode value, Set<String> allowed) {
        if (!value.isMissingNode() && !allowed.contains(value.asText())) {
            problems.add(where + ": " + value.asText() + " (expected one of " + allowed + ")");
        }
    }

    private static boolean selects(JsonNode selector, JsonNode labels) {
        if (selector.isMissingNode() || selector.isEmpty()) {
            return false;
        }
        for (Map.Entry<String, JsonNode> e : selector.properties()) {
            if (!labels.path(e.getKey()).asText("\u0000").equals(e.getValue().asText())) {
                return false;
            }
        }
        return true;
    }

    /** What the API server (or this project) would refuse beyond the schema. */
    static List<String> problems(List<Manifest> manifests) {
        List<String> problems = new ArrayList<>();
        Map<String, JsonNode> podLabels = new LinkedHashMap<>();
        Map<String, Set<String>> podPorts = new HashMap<>();
        Set<String> configMaps = new java.util.HashSet<>();
        for (Manifest m : manifests) {
            String name = m.json().path("metadata").path("name").asText();
            if (!name.matches(DNS_LABEL)) {
                problems.add(m.where() + ": metadata.name '" + name + "' is not a DNS-1123 label");
            }
            if (m.kind().equals("ConfigMap")) {
                configMaps.add(name);
            }
            if (m.kind().equals("Secret")) {
                problems.add(m.where() + ": a Secret with its values belongs in no repository");
            }
        }
        for (Manifest m : manifests) {
            JsonNode spec = m.json().path("spec");
            switch (m.kind()) {
                case "Deployment" -> {
                    JsonNode labels = spec.path("template").path("metadata").path("labels");
                    if (!selects(spec.path("selector").path("matchLabels"), labels)) {
                        problems.add(m.where() + ": spec.selector does not match the template's labels");
                    }
                    podLabels.put(m.where(), labels);
                    Set<String> ports = new java.util.HashSet<>();
                    JsonNode pod = spec.path("template").path("spec");
                    enumValue(problems, m.where() + " restartPolicy", pod.path("restartPolicy"), Set.of("Always"));
                    for (JsonNode c : pod.path("containers")) {
                        String where = m.where() + " container " + c.path("name").asText();
                        enumValue(problems, where + " imagePullPolicy", c.path("imagePullPolicy"),
                                Set.of("Always", "IfNotPresent", "Never"));
                        for (JsonNode p : c.path("ports")) {
                            if (!p.path("name").asText().matches(PORT_NAME)) {
                                problems.add(where + ": port name '" + p.path("name").asText() + "' is no IANA_SVC_NAME");
                            }
                            enumValue(problems, where + " port protocol", p.path("protocol"), Set.of("TCP", "UDP", "SCTP"));
                            ports.add(p.path("name").asText());
                        }
                        for (String probe : List.of("startupProbe", "livenessProbe", "readinessProbe")) {
                            JsonNode port = c.path(probe).path("httpGet").path("port");
                            if (port.isTextual() && !ports.contains(port.asText())) {
                                problems.add(where + " " + probe + ": no container port named " + port.asText());
                            }
                        }
                        for (JsonNode env : c.path("env")) {
                            String n = env.path("name").asText();
                            if (n.matches(".*(SECRET|TOKEN|PASSWORD).*") && !n.endsWith("_FILE") && env.has("value")) {
                                problems.add(where + ": " + n + " is a literal; take it from a Secret");
                            }
                        }
                        for (JsonNode from : c.path("envFrom")) {
                            String ref = from.path("configMapRef").path("name").asText(null);
                            if (ref != null && !configMaps.contains(ref)) {
                                problems.add(where + ": no ConfigMap " + ref + " among the manifests");
                            }
                        }
                    }
                    podPorts.put(m.where(), ports);
                }
                case "Service" -> {
                    enumValue(problems, m.where() + " type", spec.path("type"),
                            Set.of("ClusterIP", "NodePort", "LoadBalancer", "ExternalName"));
                    enumValue(problems, m.where() + " externalTrafficPolicy", spec.path("externalTrafficPolicy"),
                            Set.of("Cluster", "Local"));
                    for (JsonNode p : spec.path("ports")) {
                        enumValue(problems, m.where() + " port protocol", p.path("protocol"), Set.of("TCP", "UDP", "SCTP"));
                    }
                }
                case "ConfigMap" -> m.json().path("data").fieldNames().forEachRemaining(k -> {
                    Setting s = Setting.byEnv(k);
                    if (s == null) {
                        problems.add(m.where() + ": " + k + " is not a gateway setting");
                    } else if (s.isSecret()) {
                        problems.add(m.where() + ": " + k + " is a secret; it belongs in a Secret");
                    }
                });
                default -> {
                }
            }
        }
        for (Manifest m : manifests) {
            JsonNode selector = m.kind().equals("Service") ? m.json().path("spec").path("selector")
                    : m.kind().equals("PodDisruptionBudget") ? m.json().path("spec").path("selector").path("matchLabels")
                    : null;
            if (selector == null) {
                continue;
            }
            List<String> selected = podLabels.entrySet().stream().filter(e -> selects(selector, e.getValue()))
                    .map(Map.Entry::getKey).toList();
            if (selected.isEmpty()) {
                problems.add(m.where() + ": its selector matches no Deployment's pods");
            }
            if (m.kind().equals("Service")) {
                for (JsonNode p : m.json().path("spec").path("ports")) {
                    JsonNode target = p.path("targetPort");
                    for (String d : selected) {
                        if (target.isTextual() && !podPorts.get(d).contains(target.asText())) {
                            problems.add(m.where() + ": targetPort " + target.asText() + " is no port of " + d);
                        }
                    }
                }
            }
        }
        return problems;
    }

    @Test
    void everyManifestIsValidAgainstTheKubernetesApiSchema() throws IOException {
        List<Manifest> manifests = all();
        assertEquals(Set.of("ConfigMap", "Deployment", "Service", "PodDisruptionBudget"),
                Set.copyOf(manifests.stream().map(Manifest::kind).toList()));
        for (Manifest m : manifests) {
            assertTrue(MODELS.get(m.json().path("apiVersion").asText() + "/" + m.kind()).isInstance(validate(m)));
        }
        assertEquals(List.of(), problems(manifests));
    }

    private static String file(String name) throws IOException {
        return Files.readString(dir.resolve(name), StandardCharsets.UTF_8);
    }

    /** {@code text} with one change; fails when {@code from} is not there, so no mutation is silently a no-op. */
    private static String mutate(String text, String from, String to) {
        assertTrue(text.contains(from), "the manifest has: " + from);
        String changed = text.replace(from, to);
        assertNotEquals(text, changed);
        return changed;
    }

    private static String schemaError(String file, String text) throws IOException {
        List<Manifest> docs = read(file, text);
        AssertionError e = assertThrows(AssertionError.class, () -> docs.forEach(K8sManifestTest::validate),
                "the schema must refuse this " + file);
        return e.getMessage();
    }

    @Test
    void theSchemaRefusesBrokenManifests() throws IOException {
        String deployment = file("deployment.yaml");
        assertTrue(schemaError("deployment.yaml", mutate(deployment, "readinessProbe:", "readinesProbe:"))
                .contains("readinesProbe"), "an unknown field, deep in the pod template");
        assertTrue(schemaError("deployment.yaml", mutate(deployment, "periodSeconds: 5", "periodSeconds: five"))
                .contains("five"), "a word where an integer belongs");
        assertTrue(schemaError("deployment.yaml", mutate(deployment, "        - name: gateway\n          image:",
                "        - image:")).contains("name"), "a container without its required name");
        assertTrue(schemaError("deployment.yaml", mutate(deployment, "memory: 2Gi", "memory: two gigs"))
                .contains("quantity"), "a quantity that is none");
        String notAList = schemaError("deployment.yaml", mutate(deployment, "          envFrom:\n            - configMapRef:",
                "          envFrom:\n            configMapRef:"));
        assertTrue(notAList.contains("wrong shape"), "an object where a list belongs: " + notAList);
        assertTrue(schemaError("pdb.yaml", mutate(file("pdb.yaml"), "policy/v1", "policy/v1beta1"))
                .contains("policy/v1beta1"), "an API version Kubernetes removed (1.25)");
        String listForInteger = schemaError("service.yaml", mutate(file("service.yaml"), "port: 8080", "port: [8080]"));
        assertTrue(listForInteger.contains("BEGIN_ARRAY"), "a list where an integer belongs: " + listForInteger);
    }

    private static List<String> problemsWith(String file, String text) throws IOException {
        List<Manifest> manifests = new ArrayList<>();
        for (Manifest m : all()) {
            if (!m.where().equals(file)) {
                manifests.add(m);
            }
        }
        manifests.addAll(read(file, text));
        manifests.forEach(K8sManifestTest::validate);
        return problems(manifests);
    }

    @Test
    void theApiServersOwnRulesAndThisProjectsRulesRefuseBrokenManifests() throws IOException {
        String deployment = file("deployment.yaml");
        String relabelled = mutate(deployment, "      labels:\n        app.kubernetes.io/name: chat-gateway\n"
                + "        app.kubernetes.io/component: gateway\n      annotations:",
                "      labels:\n        app.kubernetes.io/name: chat\n        app.kubernetes.io/component: gateway\n"
                        + "      annotations:");
        List<String> p = problemsWith("deployment.yaml", relabelled);
        assertTrue(p.stream().anyMatch(s -> s.contains("spec.selector does not match")), p.toString());
        assertTrue(p.stream().anyMatch(s -> s.startsWith("service.yaml") && s.contains("matches no")), p.toString());
        assertTrue(p.stream().anyMatch(s -> s.startsWith("pdb.yaml") && s.contains("matches no")), p.toString());

        p = problemsWith("deployment.yaml", mutate(deployment, "imagePullPolicy: IfNotPresent",
                "imagePullPolicy: Sometimes"));
        assertTrue(p.stream().anyMatch(s -> s.contains("Sometimes")), p.toString());

        p = problemsWith("deployment.yaml", mutate(deployment, "              port: http\n            periodSeconds: 10",
                "              port: web\n            periodSeconds: 10"));
        assertTrue(p.stream().anyMatch(s -> s.contains("livenessProbe: no container port named web")), p.toString());

        p = problemsWith("deployment.yaml", mutate(deployment, "          env:\n",
                "          env:\n            - name: GATEWAY_JWT_SECRET\n              value: hunter2-hunter2\n"));
        assertTrue(p.stream().anyMatch(s -> s.contains("GATEWAY_JWT_SECRET is a literal")), p.toString());

        p = problemsWith("configmap.yaml", mutate(file("configmap.yaml"), "  GATEWAY_LOG_LEVEL: INFO\n",
                "  GATEWAY_LOG_LEVEL: INFO\n  GATEWAY_ADMIN_TOKEN: abc\n  GATEWAY_HEARTBEAT: \"60\"\n"));
        assertTrue(p.stream().anyMatch(s -> s.contains("GATEWAY_ADMIN_TOKEN is a secret")), p.toString());
        assertTrue(p.stream().anyMatch(s -> s.contains("GATEWAY_HEARTBEAT is not a gateway setting")), p.toString());

        p = problemsWith("service.yaml", mutate(file("service.yaml"), "targetPort: tcp", "targetPort: frames"));
        assertTrue(p.stream().anyMatch(s -> s.contains("targetPort frames")), p.toString());

        p = problemsWith("service.yaml", mutate(file("service.yaml"), "name: chat-gateway\n", "name: Chat_Gateway\n"));
        assertTrue(p.stream().anyMatch(s -> s.contains("DNS-1123")), p.toString());
    }

    private static V1Deployment deployment() throws IOException {
        return (V1Deployment) validate(read("deployment.yaml", file("deployment.yaml")).get(0));
    }

    private static Map<String, String> configMap() throws IOException {
        return ((V1ConfigMap) validate(read("configmap.yaml", file("configmap.yaml")).get(0))).getData();
    }

    @Test
    void podsAreProbedDrainedBoundedAndUnprivileged() throws IOException {
        var pod = deployment().getSpec().getTemplate().getSpec();
        var c = pod.getContainers().get(0);
        assertEquals("/healthz", c.getLivenessProbe().getHttpGet().getPath());
        assertEquals("/readyz", c.getReadinessProbe().getHttpGet().getPath());
        assertEquals("/healthz", c.getStartupProbe().getHttpGet().getPath());
        long preStop = c.getLifecycle().getPreStop().getSleep().getSeconds();
        assertTrue(preStop >= 5, "the pod leaves the Service's endpoints before SIGTERM: " + preStop + " s");
        long shutdown = Long.parseLong(configMap().get(Setting.SHUTDOWN_TIMEOUT_SECONDS.env()));
        assertTrue(pod.getTerminationGracePeriodSeconds() >= preStop + shutdown + 10, "grace "
                + pod.getTerminationGracePeriodSeconds() + " s for " + preStop + " s pause and " + shutdown
                + " s shutdown");
        for (String r : List.of("cpu", "memory")) {
            assertTrue(c.getResources().getRequests().containsKey(r) && c.getResources().getLimits().containsKey(r), r);
        }
        assertEquals(c.getResources().getRequests().get("memory"), c.getResources().getLimits().get("memory"),
                "memory request = limit: the heap is a share of the limit");
        assertTrue(pod.getSecurityContext().getRunAsNonRoot());
        Dockerfile docker = Dockerfile.read(RepoRoot.find().resolve("Dockerfile"));
        List<Dockerfile.Instruction> users = docker.inStage(docker.lastStage(), "USER");
        assertEquals(users.get(users.size() - 1).args(), pod.getSecurityContext().getRunAsUser() + ":"
                + pod.getSecurityContext().getRunAsGroup(), "the image's user");
        assertFalse(c.getSecurityContext().getAllowPrivilegeEscalation());
        assertTrue(c.getSecurityContext().getReadOnlyRootFilesystem());
        assertEquals(List.of("ALL"), c.getSecurityContext().getCapabilities().getDrop());
        assertEquals(288, pod.getVolumes().stream().filter(v -> v.getSecret() != null).findFirst().orElseThrow()
                .getSecret().getDefaultMode(), "0440 read as octal, as Kubernetes reads it");
    }

    @Test
    void secretsComeFromTheSecretAndTheConfigurationLoads(@TempDir Path tmp) throws Exception {
        var pod = deployment().getSpec().getTemplate().getSpec();
        var c = pod.getContainers().get(0);
        Map<String, String> env = new HashMap<>(configMap());
        String secretFile = null;
        for (var e : c.getEnv()) {
            if (e.getValue() != null) {
                env.put(e.getName(), e.getValue());
            }
            if (e.getName().equals(Setting.JWT_SECRET_FILE.env())) {
                secretFile = e.getValue();
            }
            if (e.getName().equals(Setting.ADMIN_TOKEN.env())) {
                assertEquals("chat-gateway-secrets", e.getValueFrom().getSecretKeyRef().getName());
            }
        }
        String mounted = secretFile;
        assertTrue(mounted != null && mounted.startsWith("/var/run/secrets/chat-gateway/"), mounted);
        String mount = mounted.substring(0, mounted.lastIndexOf('/'));
        String volume = c.getVolumeMounts().stream().filter(m -> m.getMountPath().equals(mount)).findFirst()
                .orElseThrow(() -> new AssertionError("nothing mounted at " + mount)).getName();
        var secret = pod.getVolumes().stream().filter(v -> v.getName().equals(volume)).findFirst().orElseThrow()
                .getSecret();
        assertEquals("chat-gateway-secrets", secret.getSecretName());
        assertTrue(secret.getItems().stream().anyMatch(i -> mounted.endsWith("/" + i.getPath())));
        // The gateway reads this configuration as the pod gives it (the mounted file stands in a temp dir).
        Path jwt = tmp.resolve("jwt-secret");
        Files.writeString(jwt, "a-test-secret-that-is-long-enough-for-hs256-0123456789");
        env.put(Setting.JWT_SECRET_FILE.env(), jwt.toString());
        ConfigLoader.Loaded loaded = ConfigLoader.load(List.of(), env);
        assertEquals(List.of(), loaded.warnings());
        assertFalse(loaded.config().isDevelopmentMode());
        assertEquals(8080, loaded.config().httpPort());
        assertEquals(9090, loaded.config().tcpPort());
    }

    @Test
    void theServiceCarriesBothPortsAndKeepsClientAddresses() throws IOException {
        V1Service service = (V1Service) validate(read("service.yaml", file("service.yaml")).get(0));
        Map<Integer, String> ports = new HashMap<>();
        service.getSpec().getPorts().forEach(p -> ports.put(p.getPort(), p.getTargetPort().toString()));
        assertEquals(Map.of(8080, "http", 9090, "tcp"), ports);
        assertEquals("Local", service.getSpec().getExternalTrafficPolicy(),
                "no SNAT: the gateway's per-address limits count clients");
        V1PodDisruptionBudget pdb = (V1PodDisruptionBudget) validate(read("pdb.yaml", file("pdb.yaml")).get(0));
        assertEquals(1, pdb.getSpec().getMaxUnavailable().getIntValue());
        assertTrue(deployment().getSpec().getReplicas() > pdb.getSpec().getMaxUnavailable().getIntValue(),
                "a drain never takes every pod");
    }
}
