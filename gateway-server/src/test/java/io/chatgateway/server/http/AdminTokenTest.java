package io.chatgateway.server.http;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class AdminTokenTest {
    private final AdminToken token = new AdminToken("s3cret-token");

    @Test
    void acceptsOnlyTheExactTokenAsBearer() {
        assertEquals(AdminToken.Verdict.OK, token.check("Bearer s3cret-token"));
        assertEquals(AdminToken.Verdict.OK, token.check("BEARER s3cret-token "));
        assertEquals(AdminToken.Verdict.WRONG, token.check("Bearer s3cret-tokeN"));
        assertEquals(AdminToken.Verdict.WRONG, token.check("Bearer s3cret-token2"));
        assertEquals(AdminToken.Verdict.WRONG, token.check("Bearer s3cret"));
    }

    @Test
    void treatsAnythingButBearerCredentialsAsMissing() {
        assertEquals(AdminToken.Verdict.MISSING, token.check(null));
        assertEquals(AdminToken.Verdict.MISSING, token.check(""));
        assertEquals(AdminToken.Verdict.MISSING, token.check("Bearer"));
        assertEquals(AdminToken.Verdict.MISSING, token.check("Bearer   "));
        assertEquals(AdminToken.Verdict.MISSING, token.check("Basic czNjcmV0LXRva2Vu"));
        assertEquals(AdminToken.Verdict.MISSING, token.check("s3cret-token"));
    }
}
