package io.chatgateway.server.cluster;

/** Redis URIs in logs. */
final class RedisUris {
    private RedisUris() {
    }

    /** Hides the password of a Redis URI, for logs. */
    static String mask(String uri) {
        int scheme = uri.indexOf("://");
        int at = uri.indexOf('@', scheme < 0 ? 0 : scheme + 3);
        if (scheme < 0 || at < 0) {
            return uri;
        }
        String userInfo = uri.substring(scheme + 3, at);
        int colon = userInfo.indexOf(':');
        String user = colon < 0 ? "" : userInfo.substring(0, colon);
        return uri.substring(0, scheme + 3) + user + ":******" + uri.substring(at);
    }
}
