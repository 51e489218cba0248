package io.chatgateway.server.deploy;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * An nginx configuration read into its directives, the way nginx tokenises it: {@code #} comments, quoted
 * arguments, {@code ;}-terminated directives and {@code { }} blocks. Enough to assert what a recipe says; whether
 * nginx accepts it is {@code nginx -t}'s call.
 */
final class NginxConf {
    /** A directive, its arguments and, for a block, the directives inside. */
    record Directive(String name, List<String> args, List<Directive> children) {
        /** The directives named {@code name} directly inside this block. */
        List<Directive> all(String name) {
            return children.stream().filter(d -> d.name().equals(name)).toList();
        }

        /** The one directive named {@code name} directly inside; fails when there is not exactly one. */
        Directive one(String name) {
            List<Directive> found = all(name);
            if (found.size() != 1) {
                throw new AssertionError("expected one '" + name + "' in '" + this.name + " " + args + "', found "
                        + found.size());
            }
            return found.get(0);
        }

        /** The first argument of the one directive {@code name} inside. */
        String value(String name) {
            return one(name).args().get(0);
        }

        /** This block and every block inside it, depth first. */
        Stream<Directive> tree() {
            return Stream.concat(Stream.of(this), children.stream().flatMap(Directive::tree));
        }
    }

    private final List<String> tokens = new ArrayList<>();
    private int pos;

    private NginxConf(String text) {
        int i = 0;
        while (i < text.length()) {
            char c = text.charAt(i);
            if (Character.isWhitespace(c)) {
                i++;
            } else if (c == '#') {
                while (i < text.length() && text.charAt(i) != '\n') {
                    i++;
                }
            } else if (c == ';' || c == '{' || c == '}') {
                tokens.add(String.valueOf(c));
                i++;
            } else if (c == '"' || c == '\'') {
                int end = text.indexOf(c, i + 1);
                if (end < 0) {
                    throw new AssertionError("unterminated quote at " + i);
                }
                tokens.add("\u0000" + text.substring(i + 1, end)); // quoted: never a ; { or }
                i = end + 1;
            } else {
                int start = i;
                while (i < text.length() && !Character.isWhitespace(text.charAt(i)) && ";{}#".indexOf(text.charAt(i)) < 0) {
                    i++;
                }
                tokens.add(text.substring(start, i));
            }
        }
    }

    /** The whole text as the children of a root block named {@code ""}. */
    static Directive parse(String text) {
        NginxConf p = new NginxConf(text);
        List<Directive> top = p.block(false);
        return new Directive("", List.of(), top);
    }

    private List<Directive> block(boolean nested) {
        List<Directive> out = new ArrayList<>();
        while (pos < tokens.size()) {
            String t = tokens.get(pos++);
            if (t.equals("}")) {
                if (!nested) {
                    throw new AssertionError("unbalanced }");
                }
                return out;
            }
            String name = t;
            List<String> args = new ArrayList<>();
            while (pos < tokens.size() && !tokens.get(pos).equals(";") && !tokens.get(pos).equals("{")) {
                String a = tokens.get(pos++);
                args.add(a.startsWith("\u0000") ? a.substring(1) : a);
            }
            if (pos >= tokens.size()) {
                throw new AssertionError("directive '" + name + "' is not terminated");
            }
            if (tokens.get(pos++).equals("{")) {
                out.add(new Directive(name, args, block(true)));
            } else {
                out.add(new Directive(name, args, List.of()));
            }
        }
        if (nested) {
            throw new AssertionError("block not closed");
        }
        return out;
    }

    /** An nginx time ({@code 600}, {@code 90s}, {@code 10m}, {@code 1h}, {@code 1m30s}) in seconds. */
    static long seconds(String time) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(\\d+)(ms|s|m|h|d)?").matcher(time);
        long total = 0;
        int end = 0;
        while (m.find() && m.start() == end) {
            long n = Long.parseLong(m.group(1));
            String unit = m.group(2) == null ? "s" : m.group(2);
            total += switch (unit) {
                case "ms" -> n / 1000;
                case "m" -> n * 60;
                case "h" -> n * 3600;
                case "d" -> n * 86400;
                default -> n;
            };
            end = m.end();
        }
        if (end != time.length() || end == 0) {
            throw new AssertionError("not an nginx time: " + time);
        }
        return total;
    }
}
