package io.chatgateway.server.web;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.chatgateway.server.testing.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The README's "Chat from a browser console" snippets, taken from the README as written, run in real Chromium
 * pages of the gateway opened under two different host names ({@code 127.0.0.1} and {@code chat.test}, which
 * Chromium is told resolves to 127.0.0.1): each page connects back to its own origin, which the page's
 * Content-Security-Policy allows, and the two users chat. The same policy still blocks a WebSocket to another
 * origin ({@code ws://localhost} from a page opened as 127.0.0.1, the README's old mistake).
 */
@Timeout(180)
class ReadmeConsoleSnippetTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Collects what the snippet logs, and the policy violations the page reports, where the test can read them. */
    private static final String CAPTURE = "window.__frames = []; window.__violations = [];"
            + "console.log = (f) => { if (f && f.type) window.__frames.push(f); };"
            + "document.addEventListener('securitypolicyviolation',"
            + " (e) => window.__violations.push(e.violatedDirective + ' ' + e.blockedURI));";
    private static TestServer gateway;

    @BeforeAll
    static void start() {
        Browser.requireInstalled();
        gateway = TestServer.start();
    }

    @AfterAll
    static void stop() {
        if (gateway != null) {
            gateway.close();
        }
    }

    /** The js code blocks of the README's console section, in order. */
    static List<String> snippets() throws IOException {
        String readme = Files.readString(Path.of("..", "README.md"));
        int from = readme.indexOf("### Chat from a browser console");
        int to = readme.indexOf("\n### ", from + 1);
        assertTrue(from >= 0 && to > from, "the README has its console section");
        List<String> blocks = new ArrayList<>();
        Matcher m = Pattern.compile("```js\n(.*?)```", Pattern.DOTALL).matcher(readme.substring(from, to));
        while (m.find()) {
            blocks.add(m.group(1));
        }
        assertEquals(2, blocks.size(), "a connect snippet and a chat snippet");
        return blocks;
    }

    private static Browser page(String host, String... switches) {
        Browser b = Browser.open(switches);
        b.get("http://" + host + ":" + gateway.httpPort() + "/");
        b.script(CAPTURE);
        return b;
    }

    /** Runs console input: a top-level {@code const ws} there is a global, so the next snippet can use it. */
    private static void console(Browser page, String code) {
        page.script(code + "\nif (typeof ws !== 'undefined') { window.ws = ws; }");
    }

    private static List<JsonNode> frames(Browser page) {
        try {
            List<JsonNode> out = new ArrayList<>();
            JSON.readTree((String) page.script("return JSON.stringify(window.__frames)")).forEach(out::add);
            return out;
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    @SuppressWarnings("unchecked")
    private static List<String> violations(Browser page) {
        return (List<String>) page.script("return window.__violations");
    }

    private static JsonNode await(Browser page, String what, Predicate<JsonNode> frame) {
        return page.until(what, d -> frames(page).stream().filter(frame).findFirst().orElse(null));
    }

    private static Predicate<JsonNode> ack(int id) {
        return f -> f.path("type").asText().equals("ack") && f.path("id").asInt() == id;
    }

    @Test
    void theSnippetsChatFromPagesOpenedUnderAnyHostName() throws Exception {
        List<String> snippets = snippets();
        String alice = snippets.get(0);
        String bob = alice.replace("token: \"alice\"", "token: \"bob\"");
        assertNotEquals(alice, bob, "the README tells the reader to change the token to bob");
        try (Browser a = page("127.0.0.1");
             Browser b = page("chat.test", "--host-resolver-rules=MAP chat.test 127.0.0.1",
                     "--disable-features=HttpsUpgrades")) {
            // As a reader does it: the first tab, then the second.
            console(a, alice);
            assertEquals("alice", await(a, "alice is welcomed", f -> f.path("type").asText().equals("welcome"))
                    .path("user").asText());
            await(a, "alice has joined the lobby", ack(1));
            console(b, bob);
            await(b, "bob has joined the lobby", ack(1));
            await(a, "alice sees bob join", f -> f.path("type").asText().equals("joined")
                    && f.path("user").asText().equals("bob"));

            console(b, snippets.get(1));
            JsonNode room = await(a, "alice gets the room message", f -> f.path("type").asText().equals("message")
                    && f.path("room").asText().equals("lobby"));
            assertEquals("hello from bob", room.path("body").asText());
            assertEquals("bob", room.path("from").asText());
            JsonNode direct = await(a, "alice gets the direct message", f -> f.path("type").asText().equals("message")
                    && f.path("to").asText().equals("alice"));
            assertEquals("just for you", direct.path("body").path("text").asText());
            assertEquals(1, await(b, "bob's publish is acknowledged", ack(2)).path("recipients").asInt());
            assertEquals(1, await(b, "bob's send is acknowledged", ack(3)).path("recipients").asInt());
            JsonNode presence = await(b, "bob gets the presence", f -> f.path("type").asText().equals("presence"));
            assertEquals("[\"alice\",\"bob\"]", presence.path("users").toString());

            assertEquals(List.of(), violations(a), "the page's own origin is allowed");
            assertEquals(List.of(), violations(b), "the page's own origin is allowed under another name too");

            // The policy stays strict: another origin is refused, as the README's old ws://localhost was.
            a.script("new WebSocket('ws://localhost:" + gateway.httpPort() + "/ws')");
            List<String> refused = a.until("the page reports the blocked connection",
                    d -> violations(a).isEmpty() ? null : violations(a));
            assertEquals(1, refused.size(), refused.toString());
            assertTrue(refused.get(0).startsWith("connect-src ws://localhost:" + gateway.httpPort()), refused.get(0));
        }
    }
}
