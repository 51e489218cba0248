package io.chatgateway.policy;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class OriginPolicyTest {

    @Test
    void allowsAHandshakeWithoutOriginWhateverIsListed() {
        assertTrue(OriginPolicy.of(List.of("https://chat.example.com")).allows(null, "gw.example.com", false));
        assertTrue(OriginPolicy.of(List.of("self")).allows(null, null, true));
    }

    @Test
    void starAllowsAnyOriginIncludingNullAndGarbage() {
        OriginPolicy any = OriginPolicy.of(List.of("*"));
        assertTrue(any.allowsAny());
        assertTrue(any.allows("https://evil.example", "gw", false));
        assertTrue(any.allows("null", "gw", false));
        assertTrue(any.allows("not an origin", "gw", false));
    }

    @Test
    void matchesExactOriginsAfterNormalisingCaseAndDefaultPorts() {
        OriginPolicy p = OriginPolicy.of(List.of("https://Chat.Example.com", "http://localhost:3000/"));
        assertTrue(p.allows("https://chat.example.com", "gw", false));
        assertTrue(p.allows("HTTPS://CHAT.EXAMPLE.COM:443", "gw", false));
        assertTrue(p.allows("http://localhost:3000", "gw", false));
        assertFalse(p.allows("http://chat.example.com", "gw", false), "another scheme is another origin");
        assertFalse(p.allows("https://chat.example.com:8443", "gw", false), "another port is another origin");
        assertFalse(p.allows("https://evil.chat.example.com", "gw", false));
        assertFalse(p.allows("https://chat.example.com.evil.example", "gw", false));
        assertFalse(p.allows("http://localhost:3001", "gw", false));
        assertFalse(p.allows("https://chat.example.com/path", "gw", false), "an origin has no path");
        assertFalse(p.allows("https://user@chat.example.com", "gw", false));
    }

    @Test
    void selfComparesTheOriginWithTheHostHeader() {
        OriginPolicy self = OriginPolicy.of(List.of("self"));
        assertTrue(self.allows("http://gw.example.com:8080", "gw.example.com:8080", false));
        assertTrue(self.allows("http://GW.example.com:8080", "gw.EXAMPLE.com:8080", false), "case-insensitive");
        assertTrue(self.allows("https://gw.example.com", "gw.example.com", false), "behind a TLS-terminating balancer");
        assertTrue(self.allows("https://gw.example.com", "gw.example.com:443", false), "default port either way");
        assertTrue(self.allows("http://gw.example.com:80", "gw.example.com", false));
        assertTrue(self.allows("http://[::1]:8080", "[::1]:8080", false));
        assertFalse(self.allows("http://gw.example.com", "gw.example.com:443", false), "http's default is 80");
        assertFalse(self.allows("http://gw.example.com:8081", "gw.example.com:8080", false));
        assertFalse(self.allows("http://other.example.com:8080", "gw.example.com:8080", false));
        assertFalse(self.allows("http://gw.example.com:8080", null, false), "no Host, no self");
        assertFalse(self.allows("http://gw.example.com:8080", "gw.example.com:8080 junk", false));
    }

    @Test
    void onATlsPortOnlyHttpsOriginsAreTheGatewaysOwn() {
        OriginPolicy self = OriginPolicy.of(List.of("self"));
        assertTrue(self.allows("https://gw.example.com:8443", "gw.example.com:8443", true));
        assertFalse(self.allows("http://gw.example.com:8443", "gw.example.com:8443", true));
    }

    @Test
    void refusesTheOpaqueNullOriginUnlessListed() {
        assertFalse(OriginPolicy.of(List.of("self")).allows("null", "null", false), "self never covers null");
        assertFalse(OriginPolicy.of(List.of("https://a.example")).allows("null", "gw", false));
        assertTrue(OriginPolicy.of(List.of("null")).allows("null", "gw", false));
    }

    @Test
    void refusesMalformedOriginsUnlessAny() {
        OriginPolicy p = OriginPolicy.of(List.of("self", "https://a.example"));
        assertFalse(p.allows("", "gw", false));
        assertFalse(p.allows("a.example", "a.example", false));
        assertFalse(p.allows("https://", "gw", false));
        assertFalse(p.allows("https://a.example:99999", "gw", false));
        assertFalse(p.allows("https://a.example:", "gw", false));
    }

    @Test
    void acceptsAppSchemesAsExactOriginsButNotAsSelf() {
        OriginPolicy p = OriginPolicy.of(List.of("capacitor://localhost", "self"));
        assertTrue(p.allows("capacitor://localhost", "gw", false));
        assertFalse(p.allows("capacitor://gw", "gw", false));
    }

    @Test
    void rejectsEntriesThatAreNotOriginsWithAMessageNamingThem() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> OriginPolicy.of(List.of("self", "chat.example.com")));
        assertEquals("allowedOrigins: chat.example.com (expected: scheme://host[:port], self, null or *)",
                e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> OriginPolicy.of(List.of("https://a.example/app")));
        assertThrows(IllegalArgumentException.class, () -> OriginPolicy.of(List.of()));
    }
}
