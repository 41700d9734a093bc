/// An offline estimate of the tokens of message text. Kimi's tokenizer (a tiktoken BPE with a
/// ~160K vocabulary) is not public as a file we may ship, so this counts the way such tokenizers
/// split text:
/// - a word of Latin letters: 1 token per 5 letters begun (most English words are one token;
///   the leading space is part of the word);
/// - digits: 1 token per 3 (BPEs of this family split numbers in threes);
/// - CJK (Han, kana, Hangul): 2 tokens per 3 characters begun;
/// - each other symbol or punctuation mark: 1 token; each emoji or other non-BMP scalar: 2;
/// - a run of line breaks: 1 token; other whitespace: none.
///
/// Expected error, against the remote count (`kimi-media estimate --remote`): within about ±20 %
/// on English prose and ±35 % on Chinese or code; short strings (a few tokens) can be off by 1–2
/// either way. Media tokens, by contrast, are exact arithmetic (docs/kimi-api.md §2–§3).
public enum TextTokens {
    public static func count(_ text: String) -> Int {
        var tokens = 0
        var letters = 0, digits = 0, cjk = 0
        var newline = false
        func flush() {
            if letters > 0 { tokens += (letters + 4) / 5 }
            if digits > 0 { tokens += (digits + 2) / 3 }
            if cjk > 0 { tokens += (cjk * 2 + 2) / 3 }
            letters = 0
            digits = 0
            cjk = 0
        }
        for scalar in text.unicodeScalars {
            let v = scalar.value
            if scalar.properties.isAlphabetic && !isCJK(v) {
                if digits > 0 || cjk > 0 { flush() }
                letters += 1
                newline = false
            } else if v >= 48 && v <= 57 {
                if letters > 0 || cjk > 0 { flush() }
                digits += 1
                newline = false
            } else if isCJK(v) {
                if letters > 0 || digits > 0 { flush() }
                cjk += 1
                newline = false
            } else {
                flush()
                if v == 10 || v == 13 {
                    if !newline { tokens += 1 }
                    newline = true
                } else if scalar.properties.isWhitespace {
                    continue
                } else {
                    tokens += v > 0xFFFF ? 2 : 1
                    newline = false
                }
            }
        }
        flush()
        return tokens
    }

    static func isCJK(_ v: UInt32) -> Bool {
        (0x4E00...0x9FFF).contains(v) || (0x3400...0x4DBF).contains(v) || (0x3040...0x30FF).contains(v)
            || (0xAC00...0xD7AF).contains(v) || (0x20000...0x2A6DF).contains(v) || (0xF900...0xFAFF).contains(v)
    }
}
