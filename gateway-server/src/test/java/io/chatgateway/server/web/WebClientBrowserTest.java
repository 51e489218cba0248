package io.chatgateway.server.web;

import com.fasterxml.jackson.databind.JsonNode;
import io.chatgateway.server.config.Setting;
import io.chatgateway.server.http.HttpTestClient;
import io.chatgateway.server.testing.TestClient;
import io.chatgateway.server.testing.TestServer;
import io.chatgateway.session.Connection;
import io.chatgateway.session.Transport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The web pages in a real headless Chromium against a running gateway: two chat pages talk to each other, the
 * dashboard shows them, and the client reconnects (or, when it must not, stays away) as the protocol expects.
 */
@Timeout(180)
class WebClientBrowserTest {
    private static final String ADMIN_TOKEN = "browser-admin-token-3f9a1c5e7b2d4f6a8c0e2a4c6e8f0a1b";
    private static TestServer gateway;
    private static String base;

    @BeforeAll
    static void start() {
        Browser.requireInstalled();
        gateway = TestServer.start(Map.of(Setting.ADMIN_TOKEN, ADMIN_TOKEN));
        base = "http://127.0.0.1:" + gateway.httpPort();
    }

    @AfterAll
    static void stop() {
        if (gateway != null) {
            gateway.close();
        }
    }

    private static void signIn(Browser page, String user) {
        page.get(base + "/");
        page.until("the sign-in form offers a user name (development mode)",
                d -> page.text("#token-label").equals("User name"));
        page.type("#token", user);
        page.find("#connect").click();
        page.until(user + " is connected", d -> "connected".equals(page.find("#state").getAttribute("data-state")));
        assertTrue(page.text("#whoami").startsWith(user + " · "), page.text("#whoami"));
    }

    private static void join(Browser page, String room) {
        page.type("#room-name", room);
        page.find("#join").click();
        page.until("the room is open", d -> page.text("#conv-title").equals("# " + room));
        page.until("the join is acknowledged", d -> logTexts(page).contains("you joined " + room));
    }

    private static void say(Browser page, String text) {
        page.until("the composer is enabled", d -> page.find("#text").isEnabled());
        page.type("#text", text);
        page.find("#send").click();
    }

    private static List<String> logTexts(Browser page) {
        return page.texts("#log li .body");
    }

    private static List<String> listed(Browser page, String css) {
        return page.dataUsers(css);
    }

    @Test
    void twoPagesChatThroughTheGatewayAndTheDashboardShowsTheirConnections() {
        try (Browser alice = Browser.open(); Browser bob = Browser.open(); Browser admin = Browser.open()) {
            signIn(alice, "alice");
            signIn(bob, "bob");

            join(alice, "lobby");
            join(bob, "lobby");
            alice.until("alice sees bob join", d -> logTexts(alice).contains("bob joined"));
            alice.until("bob is listed in the room", d -> listed(alice, "#members li").contains("bob"));
            assertEquals(List.of("alice", "bob"), listed(bob, "#members li"), "bob sees both members at once");

            say(bob, "hello from bob");
            alice.until("alice gets bob's room message", d -> alice.exists("#log li.msg[data-from='bob']"));
            assertEquals("hello from bob", alice.text("#log li.msg[data-from='bob'] .body"));
            bob.until("bob sees his own message on its ack", d -> bob.exists("#log li.msg.own"));

            alice.type("#dm-user", "bob");
            alice.find("#dm-open").click();
            alice.until("the direct conversation is open", d -> alice.text("#conv-title").equals("Direct messages with bob"));
            say(alice, "psst, bob");
            bob.until("bob has an unread direct message from alice",
                    d -> bob.exists("#dm-list li[data-key='dm:alice'] .badge"));
            bob.find("#dm-list li[data-key='dm:alice'] button").click();
            bob.until("bob reads it", d -> bob.exists("#log li.msg[data-from='alice']"));
            assertEquals("psst, bob", bob.text("#log li.msg[data-from='alice'] .body"));

            bob.find("#refresh-online").click();
            bob.until("bob sees both users online", d -> listed(bob, "#online li").containsAll(List.of("alice", "bob")));

            admin.get(base + "/admin");
            admin.type("#admin-token", ADMIN_TOKEN);
            admin.find("#admin-sign-in").click();
            admin.until("the dashboard shows the two connections", d -> admin.text("#stat-connections").equals("2"));
            assertEquals("2", admin.text("#stat-users"));
            assertEquals("websocket 2 · tcp 0", admin.text("#stat-transports"));
            admin.until("both users are listed",
                    d -> listed(admin, "#online-users tbody tr").containsAll(List.of("alice", "bob")));
            admin.until("lobby is the busiest room", d -> admin.exists("#busiest-rooms tr[data-room='lobby']"));
            assertEquals("lobby 2 2", admin.text("#busiest-rooms tr[data-room='lobby']").replaceAll("\\s+", " "));
            admin.find("#online-users tr[data-user='alice'] button").click();
            admin.until("alice's connection is shown", d -> admin.exists("#user-connections tbody tr"));
            String row = admin.text("#user-connections tbody tr");
            assertTrue(row.contains("websocket") && row.contains("authenticated") && row.contains("127.0.0.1:")
                    && row.contains("lobby"), row);
            admin.until("the chart has data", d -> ((Number) admin.script(
                    "return document.getElementById('rate-chart').width")).intValue() > 0);

            admin.screenshot("dashboard");
            alice.screenshot("chat-alice");

            alice.find("#room-list li[data-key='room:lobby'] button").click();
            bob.find("#room-list li[data-key='room:lobby'] button").click();
            bob.find("#leave").click();
            alice.until("alice sees bob leave", d -> logTexts(alice).contains("bob left"));
            alice.until("bob is no longer listed", d -> !listed(alice, "#members li").contains("bob"));
        }
    }

    @Test
    void dashboardRefusesAWrongTokenAndShowsWhy() {
        try (Browser admin = Browser.open()) {
            admin.get(base + "/admin");
            admin.type("#admin-token", "not-the-token");
            admin.find("#admin-sign-in").click();
            admin.until("the refusal is shown", d -> admin.text("#admin-error").contains("refused"));
            assertFalse(admin.find("#dashboard").isDisplayed());
        }
    }

    @Test
    void reconnectsAfterTheConnectionDropsAndJoinsItsRoomsAgain() throws Exception {
        try (Browser carol = Browser.open(); TestClient dave = gateway.login(Transport.TCP, "dave")) {
            signIn(carol, "carol");
            join(carol, "comeback");
            String firstConn = (String) carol.script("return window.chatClient.connId");

            // Drop the connection without a kick, as a network failure or a crashed proxy would.
            Connection c = gateway.server().gateway().connections().connectionsOf("carol").get(0);
            c.channel().close();
            carol.until("the page notices and plans a retry",
                    d -> List.of("reconnecting", "connecting", "authenticating")
                            .contains(carol.find("#state").getAttribute("data-state")));
            carol.until("the page is connected again",
                    d -> "connected".equals(carol.find("#state").getAttribute("data-state")));
            assertNotEquals(firstConn, carol.script("return window.chatClient.connId"));
            TestServer.await("carol is in the room again", () -> {
                var room = gateway.server().gateway().rooms().get("comeback");
                return room != null && room.users().contains("carol");
            });

            dave.sendFields("type", "join", "id", 1, "room", "comeback");
            dave.until("ack");
            dave.sendFields("type", "publish", "id", 2, "room", "comeback", "body", "welcome back");
            List<JsonNode> frames = dave.until("ack");
            assertEquals(1, frames.get(frames.size() - 1).path("recipients").asInt(), "carol is a member again");
            carol.until("the room message arrives after the reconnect",
                    d -> carol.exists("#log li.msg[data-from='dave']"));
        }
    }

    @Test
    void staysDisconnectedWhenAnOperatorKicksTheUser() {
        try (Browser erin = Browser.open()) {
            signIn(erin, "erin");
            HttpTestClient http = new HttpTestClient(gateway.httpPort());
            JsonNode res = HttpTestClient.json(http.post("/api/users/erin/disconnect", null,
                    "Authorization", "Bearer " + ADMIN_TOKEN));
            assertEquals(1, res.path("kicked").asInt());
            erin.until("the page says it was kicked", d -> erin.text("#state").equals("disconnected (kicked: admin)"));
            assertTrue(erin.text("#notice").contains("operator"), erin.text("#notice"));
            TestServer.await("erin is gone", () -> !gateway.server().gateway().connections().isOnline("erin"));
            // No automatic comeback: the first retry would come within 0.5 s.
            erin.script("return new Promise(r => setTimeout(r, 1500))");
            assertFalse(gateway.server().gateway().connections().isOnline("erin"), "the page must not reconnect");
            assertEquals("disconnected", erin.find("#state").getAttribute("data-state"));
        }
    }

    @Test
    void backoffGrowsExponentiallyWithJitterUpToTheCap() {
        try (Browser page = Browser.open()) {
            page.get(base + "/");
            @SuppressWarnings("unchecked")
            List<List<Number>> delays = (List<List<Number>>) page.script(
                    "return [0, 1, 2, 3, 4, 5, 6, 10, 60].map(a => ["
                            + "ChatCommon.backoffDelay(a, 500, 30000, () => 0),"
                            + "ChatCommon.backoffDelay(a, 500, 30000, () => 0.999999),"
                            + "ChatCommon.backoffDelay(a, 500, 30000)])");
            int[] attempts = {0, 1, 2, 3, 4, 5, 6, 10, 60};
            for (int i = 0; i < attempts.length; i++) {
                long step = Math.min(30_000, 500L << Math.min(attempts[i], 20));
                long low = delays.get(i).get(0).longValue();
                long high = delays.get(i).get(1).longValue();
                long random = delays.get(i).get(2).longValue();
                assertEquals(step / 2, low, "attempt " + attempts[i]);
                assertTrue(Math.abs(high - step) <= 1, "attempt " + attempts[i] + ": " + high);
                assertTrue(random >= low && random <= high, "attempt " + attempts[i] + ": " + random);
            }
        }
    }
}
