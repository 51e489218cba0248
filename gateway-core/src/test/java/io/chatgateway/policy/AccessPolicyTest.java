package io.chatgateway.policy;

import io.chatgateway.auth.Principal;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AccessPolicyTest {
    private static final AccessPolicy GRANTED = new AccessPolicy(RoomAccess.GRANTED, false);
    private static final AccessPolicy OPEN = new AccessPolicy(RoomAccess.OPEN, true);

    private static Principal user(List<String> rooms, List<String> readonly) {
        return new Principal("alice", 2_000_000_000L, RoomPatterns.of(rooms), RoomPatterns.of(readonly));
    }

    @Test
    void openModeGrantsEveryRoomWithPublish() {
        Principal nobody = Principal.of("alice");
        assertSame(Grant.OPEN, OPEN.claimGrant(nobody, "anything"));
        assertTrue(OPEN.mayRead(nobody, null, "anything"));
        assertTrue(OPEN.globalPresence());
        assertFalse(OPEN.requiresGrant());
    }

    @Test
    void grantedModeGrantsOnlyWhatTheClaimsName() {
        Principal p = user(List.of("team:42", "public:*"), List.of("news", "team:*"));
        assertEquals(new Grant(Grant.Source.CLAIM, RoomRight.PUBLISH), GRANTED.claimGrant(p, "team:42"));
        assertEquals(new Grant(Grant.Source.CLAIM, RoomRight.PUBLISH), GRANTED.claimGrant(p, "public:lobby"));
        assertEquals(new Grant(Grant.Source.CLAIM, RoomRight.READ), GRANTED.claimGrant(p, "news"));
        assertEquals(new Grant(Grant.Source.CLAIM, RoomRight.READ), GRANTED.claimGrant(p, "team:7"),
                "the read-only prefix covers other teams");
        assertNull(GRANTED.claimGrant(p, "private:x"));
        assertNull(GRANTED.claimGrant(p, "public"), "a prefix pattern needs the prefix itself");
        assertNull(GRANTED.claimGrant(Principal.of("alice"), "team:42"), "no claims, no rooms");
    }

    @Test
    void roomsWinsOverRoomsReadonlyWhenBothMatch() {
        Principal p = user(List.of("*"), List.of("lobby"));
        assertEquals(RoomRight.PUBLISH, GRANTED.claimGrant(p, "lobby").right());
    }

    @Test
    void aRoomTokenGrantsItsRoomAndKeepsTheStrongerRight() {
        Principal readonly = user(List.of(), List.of("vip"));
        assertEquals(new Grant(Grant.Source.ROOM_TOKEN, RoomRight.PUBLISH),
                GRANTED.roomTokenGrant(readonly, "vip", RoomRight.PUBLISH));
        assertEquals(new Grant(Grant.Source.ROOM_TOKEN, RoomRight.READ),
                GRANTED.roomTokenGrant(Principal.of("alice"), "vip", RoomRight.READ));
        Principal writer = user(List.of("vip"), List.of());
        assertEquals(RoomRight.PUBLISH, GRANTED.roomTokenGrant(writer, "vip", RoomRight.READ).right());
    }

    @Test
    void readingNeedsMembershipOrAClaimAndPublishingTheRight() {
        Principal p = user(List.of(), List.of("news"));
        assertTrue(GRANTED.mayRead(p, null, "news"), "a claim that would grant the join allows reading");
        assertFalse(GRANTED.mayRead(p, null, "secret"));
        Grant server = new Grant(Grant.Source.SERVER, RoomRight.READ);
        assertTrue(GRANTED.mayRead(p, server, "secret"), "members may read");
        assertFalse(GRANTED.mayPublish(server));
        assertFalse(GRANTED.mayPublish(null));
        assertTrue(GRANTED.mayPublish(new Grant(Grant.Source.ROOM_TOKEN, RoomRight.PUBLISH)));
        assertFalse(GRANTED.globalPresence());
    }

    @Test
    void aRefreshRevokesOrChangesOnlyClaimGrants() {
        Principal next = user(List.of("kept"), List.of("downgraded"));
        Grant claimPublish = new Grant(Grant.Source.CLAIM, RoomRight.PUBLISH);
        assertNull(GRANTED.afterRefresh(next, claimPublish, "gone"));
        assertEquals(claimPublish, GRANTED.afterRefresh(next, claimPublish, "kept"));
        assertEquals(new Grant(Grant.Source.CLAIM, RoomRight.READ), GRANTED.afterRefresh(next, claimPublish,
                "downgraded"));
        Grant token = new Grant(Grant.Source.ROOM_TOKEN, RoomRight.PUBLISH);
        Grant server = new Grant(Grant.Source.SERVER, RoomRight.READ);
        assertSame(token, GRANTED.afterRefresh(next, token, "gone"));
        assertSame(server, GRANTED.afterRefresh(next, server, "gone"));
        assertSame(Grant.OPEN, OPEN.afterRefresh(Principal.of("alice"), Grant.OPEN, "gone"));
    }

    @Test
    void patternsMustBeValidRoomNames() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> RoomPatterns.of(List.of("ok", "bad\u202E")))
                .getMessage().contains("room pattern"));
        assertThrows(IllegalArgumentException.class, () -> RoomPatterns.of(List.of("")));
        assertThrows(IllegalArgumentException.class, () -> RoomPatterns.of(java.util.Arrays.asList("x", null)));
        assertTrue(RoomPatterns.of(List.of()).isEmpty());
        assertTrue(RoomPatterns.of(List.of("*")).matches("anything"));
    }
}
