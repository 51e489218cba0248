package io.chatgateway.server.deploy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A Dockerfile read into instructions the way the builder reads it: comments and blank lines dropped, backslash
 * continuations joined, each instruction tagged with its stage.
 */
final class Dockerfile {
    /** One instruction: keyword in upper case, the rest as written, its stage index and line. */
    record Instruction(String keyword, String args, int stage, int line) {
        @Override
        public String toString() {
            return "line " + line + ": " + keyword + " " + args;
        }
    }

    final List<Instruction> instructions = new ArrayList<>();
    final List<String> stageNames = new ArrayList<>();

    static Dockerfile read(Path path) {
        try {
            return parse(Files.readString(path, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new AssertionError("cannot read " + path, e);
        }
    }

    static Dockerfile parse(String text) {
        Dockerfile d = new Dockerfile();
        String[] lines = text.split("\n", -1);
        StringBuilder current = null;
        int startLine = 0;
        int stage = -1;
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i].stripTrailing();
            String trimmed = line.strip();
            if (current == null && (trimmed.isEmpty() || trimmed.startsWith("#"))) {
                continue;
            }
            if (current != null && trimmed.startsWith("#")) {
                continue; // comment lines inside a continuation are dropped by the builder too
            }
            if (current == null) {
                current = new StringBuilder();
                startLine = i + 1;
            }
            if (trimmed.endsWith("\\")) {
                current.append(trimmed, 0, trimmed.length() - 1).append(' ');
                while (current.length() > 1 && current.charAt(current.length() - 2) == ' ') {
                    current.deleteCharAt(current.length() - 1);
                }
                continue;
            }
            current.append(trimmed);
            String full = current.toString().strip();
            current = null;
            int space = full.indexOf(' ');
            String keyword = (space < 0 ? full : full.substring(0, space)).toUpperCase(Locale.ROOT);
            String args = space < 0 ? "" : full.substring(space + 1).strip();
            if (keyword.equals("FROM")) {
                stage++;
                String[] parts = args.split("\\s+");
                d.stageNames.add(parts.length >= 3 && parts[parts.length - 2].equalsIgnoreCase("AS")
                        ? parts[parts.length - 1] : null);
            }
            d.instructions.add(new Instruction(keyword, args, stage, startLine));
        }
        if (current != null) {
            throw new AssertionError("Dockerfile ends inside a line continuation");
        }
        return d;
    }

    List<Instruction> all(String keyword) {
        return instructions.stream().filter(i -> i.keyword().equals(keyword)).toList();
    }

    List<Instruction> inStage(int stage, String keyword) {
        return instructions.stream().filter(i -> i.stage() == stage && i.keyword().equals(keyword)).toList();
    }

    int lastStage() {
        return stageNames.size() - 1;
    }
}
