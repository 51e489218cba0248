package io.chatgateway.server.web;

import com.fasterxml.jackson.databind.JsonNode;
import io.chatgateway.server.cluster.RedisServer;
import io.chatgateway.server.config.Setting;
import io.chatgateway.server.testing.TestClient;
import io.chatgateway.server.testing.TestServer;
import io.chatgateway.session.Transport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The dashboard at /admin in a real headless Chromium against a running gateway: what it shows, and that what it
 * does (messages, broadcast, room membership, disconnects) reaches real clients of the gateway.
 */
@Timeout(120)
class AdminDashboardBrowserTest {
    private static final String ADMIN_TOKEN = "dashboard-admin-token-7c1e9a3f5b2d4e6f8a0c1e3a5c7e9f0b";
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

    private static void signIn(Browser admin, String base) {
        admin.get(base + "/admin");
        admin.until("the token is asked for", d -> admin.find("#admin-login").isDisplayed());
        admin.type("#admin-token", ADMIN_TOKEN);
        admin.click("#admin-sign-in");
        admin.until("the dashboard is live", d -> "connected".equals(admin.find("#admin-state").getAttribute("data-state")));
    }

    private static void fill(Browser admin, String css, String value) {
        admin.type(css, value);
    }

    private static JsonNode next(TestClient c, String type) {
        List<JsonNode> frames = c.until(type);
        return frames.get(frames.size() - 1);
    }

    private static void joinFrom(TestClient c, String room) {
        c.sendFields("type", "join", "id", "j", "room", room);
        c.until("ack");
    }

    @Test
    void showsTheGatewayItsRoomsAndAUsersConnections() {
        try (Browser admin = Browser.open();
             TestClient a = gateway.login(Transport.WEBSOCKET, "stat-a");
             TestClient b = gateway.login(Transport.TCP, "stat-b")) {
            joinFrom(a, "stat-lobby");
            joinFrom(b, "stat-lobby");
            signIn(admin, base);
            admin.until("both users are listed",
                    d -> admin.dataUsers("#online-users tbody tr").containsAll(List.of("stat-a", "stat-b")));
            admin.until("the transports are counted", d -> admin.text("#stat-transports").matches("websocket \\d+ · tcp \\d+")
                    && !admin.text("#stat-transports").contains("tcp 0"));
            admin.until("the room is among the busiest", d -> admin.exists("#busiest-rooms tr[data-room='stat-lobby']"));
            assertEquals("stat-lobby 2 2",
                    admin.text("#busiest-rooms tr[data-room='stat-lobby']").replaceAll("\\s+", " "));
            admin.click("#online-users tr[data-user='stat-a'] button");
            admin.until("stat-a's connection is shown", d -> admin.exists("#user-connections tbody tr"));
            String row = admin.text("#user-connections tbody tr");
            assertTrue(row.contains("websocket") && row.contains("authenticated") && row.contains("127.0.0.1:")
                    && row.contains("stat-lobby"), row);
            admin.until("the chart has data", d -> ((Number) admin.script(
                    "return document.getElementById('rate-chart').width")).intValue() > 0);
            assertFalse(admin.find("#cluster").isDisplayed(), "one node: no cluster panel");
            assertEquals(ADMIN_TOKEN, admin.script("return sessionStorage.getItem('admin.token')"),
                    "the token is kept in the tab");
            assertEquals(0L, admin.script("return localStorage.length"), "and nowhere else");
            admin.driver().navigate().refresh();
            admin.until("a reload stays signed in", d -> "connected".equals(
                    admin.find("#admin-state").getAttribute("data-state")));
            assertFalse(admin.find("#admin-login").isDisplayed());
            admin.screenshot("dashboard");
        }
    }

    @Test
    void messagesPublishesAndBroadcastsReachTheClients() {
        try (Browser admin = Browser.open(); TestClient c = gateway.login(Transport.WEBSOCKET, "act-recv")) {
            joinFrom(c, "act-room");
            signIn(admin, base);

            fill(admin, "#send-user", "act-recv");
            fill(admin, "#send-text", "just for you");
            admin.click("#send-go");
            JsonNode dm = next(c, "message");
            assertEquals("$server", dm.path("from").asText());
            assertEquals("act-recv", dm.path("to").asText());
            assertEquals("just for you", dm.path("body").path("text").asText());
            admin.until("the result is shown", d -> admin.text("#send-result").equals("Delivered to 1 connection of act-recv."));

            fill(admin, "#publish-room", "act-room");
            fill(admin, "#publish-text", "to the room");
            admin.click("#publish-go");
            JsonNode pub = next(c, "message");
            assertEquals("act-room", pub.path("room").asText());
            assertEquals("to the room", pub.path("body").path("text").asText());
            admin.until("the publish result is shown",
                    d -> admin.text("#publish-result").equals("Published to act-room: 1 connection."));

            fill(admin, "#broadcast-text", "{\"notice\": \"maintenance at 22:00\"}");
            admin.click("#broadcast-json");
            admin.click("#broadcast-go");
            JsonNode all = next(c, "message");
            assertFalse(all.has("to") || all.has("room"), "a broadcast goes to everyone: " + all);
            assertEquals("maintenance at 22:00", all.path("body").path("notice").asText(), "a JSON body as given");
            admin.until("the broadcast result is shown", d -> admin.text("#broadcast-result").startsWith("Broadcast to "));

            fill(admin, "#broadcast-text", "{not json");
            admin.click("#broadcast-go");
            admin.until("bad JSON is refused in the page", d -> admin.text("#broadcast-result").contains("not valid JSON"));
            assertNull(c.poll(java.time.Duration.ofMillis(300)), "and nothing was sent");
        }
    }

    @Test
    void addingAndRemovingAMemberMakesTheClientJoinAndLeave() {
        try (Browser admin = Browser.open(); TestClient c = gateway.login(Transport.WEBSOCKET, "mem-user")) {
            signIn(admin, base);
            fill(admin, "#member-room", "mem-ops");
            fill(admin, "#member-user", "mem-user");
            admin.click("#member-add");
            JsonNode joined = next(c, "joined");
            assertEquals("mem-ops", joined.path("room").asText());
            assertEquals("mem-user", joined.path("user").asText(), "told with its own user");
            admin.until("the result says one connection joined",
                    d -> admin.text("#member-result").equals("mem-user added to mem-ops: 1 connection joined."));
            TestServer.await("the gateway has mem-user in mem-ops", () -> {
                var room = gateway.server().gateway().rooms().get("mem-ops");
                return room != null && room.users().contains("mem-user");
            });

            admin.click("#member-remove");
            JsonNode left = next(c, "left");
            assertEquals("mem-ops", left.path("room").asText());
            assertEquals("removed", left.path("reason").asText());
            admin.until("the result says one connection left",
                    d -> admin.text("#member-result").equals("mem-user removed from mem-ops: 1 connection left."));

            // Read only: the user may read the room but not publish to it.
            admin.click("#member-readonly");
            admin.click("#member-add");
            next(c, "joined");
            c.sendFields("type", "publish", "id", 9, "room", "mem-ops", "body", "may I?");
            assertEquals("forbidden", c.expectError("forbidden").path("code").asText());
        }
    }

    @Test
    void aRoomDrillDownListsItsMembersAndRecentMessagesAndRemovesAMember() {
        try (Browser admin = Browser.open();
             TestClient x = gateway.login(Transport.WEBSOCKET, "drill-x");
             TestClient y = gateway.login(Transport.TCP, "drill-y")) {
            joinFrom(x, "drill");
            joinFrom(y, "drill");
            for (int i = 1; i <= 3; i++) {
                x.sendFields("type", "publish", "id", i, "room", "drill", "body", Map.of("text", "note " + i));
                x.until("ack");
            }
            signIn(admin, base);
            admin.until("the room is listed", d -> admin.exists("#busiest-rooms tr[data-room='drill'] button"));
            admin.click("#busiest-rooms tr[data-room='drill'] button");
            admin.until("its members are shown",
                    d -> admin.dataUsers("#room-members li").equals(List.of("drill-x", "drill-y")));
            admin.until("its recent messages are shown", d -> admin.texts("#room-history tbody .body")
                    .equals(List.of("note 1", "note 2", "note 3")));
            List<String> offsets = admin.texts("#room-history tbody td:first-child");
            assertEquals(List.of("1", "2", "3"), offsets, "each with its offset");
            assertTrue(admin.text("#room-history-position").contains("latest offset 3"),
                    admin.text("#room-history-position"));

            admin.click("#room-members li[data-user='drill-y'] button");
            JsonNode left = next(y, "left");
            assertEquals("removed", left.path("reason").asText());
            admin.until("the member list follows", d -> admin.dataUsers("#room-members li").equals(List.of("drill-x")));
            JsonNode told = next(x, "left");
            assertEquals("drill-y", told.path("user").asText(), "the other member is told too");
        }
    }

    @Test
    void searchesUsersByPrefixAndPagesPastFifty() {
        List<TestClient> clients = new ArrayList<>();
        try (Browser admin = Browser.open()) {
            for (int i = 0; i < 60; i++) {
                clients.add(gateway.login(Transport.TCP, String.format("pg-%02d", i)));
            }
            clients.add(gateway.login(Transport.TCP, "pgx-not-a-match"));
            signIn(admin, base);
            admin.type("#user-search", "pg-");
            admin.click("#user-search-go");
            admin.until("the first page of matches", d -> admin.text("#users-page").equals("1–50 of 60"));
            List<String> first = admin.dataUsers("#online-users tbody tr");
            assertEquals(50, first.size());
            assertEquals("pg-00", first.get(0));
            assertEquals("pg-49", first.get(49));
            assertTrue(admin.text("#users-total").contains("60 matching"), admin.text("#users-total"));
            assertFalse(admin.find("#users-prev").isEnabled());

            admin.click("#users-next");
            admin.until("the second page", d -> admin.text("#users-page").equals("51–60 of 60"));
            List<String> second = admin.dataUsers("#online-users tbody tr");
            assertEquals(List.of("pg-50", "pg-51", "pg-52", "pg-53", "pg-54", "pg-55", "pg-56", "pg-57", "pg-58",
                    "pg-59"), second, "the rest, without the user that only looks alike");
            assertFalse(admin.find("#users-next").isEnabled(), "the last page");

            admin.click("#users-prev");
            admin.until("back to the first page", d -> admin.text("#users-page").equals("1–50 of 60"));
            admin.type("#user-search", "pgx");
            admin.click("#user-search-go");
            admin.until("another prefix", d -> admin.dataUsers("#online-users tbody tr").equals(List.of("pgx-not-a-match")));
        } finally {
            clients.forEach(TestClient::close);
        }
    }

    @Test
    void disconnectsAUserAfterAConfirmingSecondPress() {
        try (Browser admin = Browser.open(); TestClient c = gateway.login(Transport.WEBSOCKET, "kick-me")) {
            signIn(admin, base);
            fill(admin, "#kick-user", "kick-me");
            admin.click("#kick-go");
            admin.until("the button asks for confirmation", d -> admin.text("#kick-go").equals("Press again to confirm"));
            assertTrue(c.isOpen(), "one press does nothing yet");
            admin.click("#kick-go");
            assertEquals("admin", next(c, "kicked").path("reason").asText());
            admin.until("the result is shown", d -> admin.text("#kick-result").equals("kick-me: 1 connection kicked (admin)."));
        }
    }

    @Test
    void refusesAWrongTokenAndShowsWhy() {
        try (Browser admin = Browser.open()) {
            admin.get(base + "/admin");
            admin.type("#admin-token", "not-the-token");
            admin.click("#admin-sign-in");
            admin.until("the refusal is shown", d -> admin.text("#admin-error").contains("refused"));
            assertFalse(admin.find("#dashboard").isDisplayed());
            assertNull(admin.script("return sessionStorage.getItem('admin.token')"), "a refused token is not kept");
        }
    }

    @Test
    void withTheAdminApiOffItSaysSoAndAsksForNoToken() {
        try (TestServer off = TestServer.start(Map.of()); Browser admin = Browser.open()) {
            admin.get("http://127.0.0.1:" + off.httpPort() + "/admin");
            admin.until("the page says the API is off", d -> admin.find("#admin-off").isDisplayed());
            String text = (String) admin.script("return document.getElementById('admin-off').textContent");
            assertTrue(text.contains("The admin API is off") && text.contains("GATEWAY_ADMIN_TOKEN"), text);
            assertFalse(admin.find("#admin-login").isDisplayed(), "no token prompt");
            assertFalse(admin.find("#admin-token").isDisplayed());
            assertFalse(admin.find("#dashboard").isDisplayed());
            assertEquals("admin API off", admin.text("#admin-state"));
        }
    }

    @Test
    void inAClusterListsEveryNode() {
        Map<Setting, String> common = new EnumMap<>(Setting.class);
        common.put(Setting.CLUSTER_LEASE_MS, "1000");
        common.put(Setting.CLUSTER_TIMEOUT_MS, "1000");
        try (RedisServer redis = RedisServer.start()) {
            common.put(Setting.REDIS_URI, redis.uri());
            Map<Setting, String> a = new EnumMap<>(common);
            a.put(Setting.NODE_ID, "dashA");
            a.put(Setting.ADMIN_TOKEN, ADMIN_TOKEN);
            Map<Setting, String> b = new EnumMap<>(common);
            b.put(Setting.NODE_ID, "dashB");
            try (TestServer nodeA = TestServer.start(a); TestServer nodeB = TestServer.start(b);
                 Browser admin = Browser.open()) {
                nodeB.login(Transport.TCP, "on-b");
                signIn(admin, "http://127.0.0.1:" + nodeA.httpPort());
                admin.until("the cluster panel lists both nodes", d -> admin.find("#cluster").isDisplayed()
                        && admin.script("return [...document.querySelectorAll('#cluster-nodes tbody tr')]"
                                + ".map(r => r.dataset.node).sort().join()").equals("dashA,dashB"));
                assertTrue(admin.text("#cluster-nodes tr[data-node='dashA']").contains("(this node)"));
                admin.until("node B's connection is counted there",
                        d -> admin.text("#cluster-nodes tr[data-node='dashB'] td:nth-child(2)").equals("1"));
                assertTrue(admin.text("#cluster-summary").contains("2 nodes"), admin.text("#cluster-summary"));
            }
        }
    }
}
