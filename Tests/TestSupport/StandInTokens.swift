import Foundation

/// The stand-in's own token count, transcribed from the contract (docs/kimi-api.md §2.2–§3.3 and the
/// K2 chat template), **not** kimi-media's `ImageTokens`, `VideoTokens`, `TextTokens` or
/// `RequestTokens`: a round trip through the stand-in compares two implementations, so a mistake
/// in either shows. `goldens` holds the spec's own numbers, which `StandInTests` checks this
/// transcription against.
///
/// What it renders for a request, token by token:
/// - each message: `<|im_{role}|>`, the role as text, `<|im_middle|>`, the content, `<|im_end|>`;
/// - an image part: `<|media_begin|>`, `image`, `<|media_content|>`, the pads, `<|media_end|>`, `\n`;
/// - a video part: per chunk of 4 sampled frames, its `HH:MM:SS.mmm` start as text, `<|media_begin|>`,
///   `video`, `<|media_content|>`, the pads, `<|media_end|>`;
/// - after the messages, the generation prompt `<|im_assistant|>`, `assistant`, `<|im_middle|>`,
///   `<think>` (the request in docs/kimi-api.md §2.4's I1 — a 224×224 image and "Describe the image." — is 81
///   tokens with it, as the serving API counted).
///
/// Text is counted by a pre-tokenizer in the spirit of the Kimi tokenizer's pattern (§3.3): words
/// (with one leading space or sign), digit groups of at most three, runs of other signs, runs of
/// line breaks, CJK characters one each; a word of more than 8 letters costs one token per 8.
/// The real tokenizer's merges are not public, so text is where the real count will differ.
public enum StandInTokens {
    static let patch = 14
    static let imagePatchBudget = 16_384
    static let framePatchBudget = 4_096
    static let patchesPerSide = 512
    static let sampleFPS = 2.0
    static let framesPerChunk = 4

    /// `(width, height, pads)` rows of docs/kimi-api.md §2.5 and §3.4 (image budget unless `frame`).
    public static let goldens: [(width: Int, height: Int, frame: Bool, pads: Int)] = [
        (100, 100, false, 16), (640, 480, false, 414), (1920, 1080, false, 2691), (4096, 2160, false, 4183),
        (8000, 6000, false, 4144), (28, 10000, false, 256), (1, 1, false, 1), (28, 28, false, 1), (29, 29, false, 4),
        (224, 224, false, 64), (448, 449, false, 272), (1024, 768, false, 1036), (1280, 720, false, 1196),
        (2048, 1080, false, 2886), (2560, 1440, false, 4214), (3000, 3000, false, 4225), (3024, 4032, false, 4144),
        (1792, 1792, false, 4096), (1793, 1793, false, 4225), (7168, 7168, false, 4096), (10000, 28, false, 256),
        (20000, 100, false, 512), (7081, 489, false, 4464),
        (320, 240, true, 108), (640, 360, true, 299), (640, 480, true, 414), (854, 480, true, 558), (1280, 720, true, 1075),
        (1920, 1080, true, 1032),
    ]

    /// `<|media_pad|>` tokens of one picture, `navit_resize` as docs/kimi-api.md §2.2 writes it.
    public static func pads(width: Int, height: Int, budget: Int) -> Int {
        let w = Double(width), h = Double(height)
        let sideLimit = patchesPerSide * patch
        let s1 = (Double(budget) / (max(1.0, Double(width / patch)) * max(1.0, Double(height / patch)))).squareRoot()
        let scale = min(1.0, s1, Double(sideLimit) / w, Double(sideLimit) / h)
        let newW = min(max(1, Int(w * scale)), sideLimit)
        let newH = min(max(1, Int(h * scale)), sideLimit)
        let cell = 2 * patch
        return (newW + (cell - newW % cell) % cell) / cell * ((newH + (cell - newH % cell) % cell) / cell)
    }

    /// Prompt tokens of an image part.
    public static func image(width: Int, height: Int) -> Int {
        3 + text("image") + pads(width: width, height: height, budget: imagePatchBudget) + text("\n")
    }

    /// Prompt tokens of a video part of `frames` frames at `fps`, each `width`×`height` (docs/kimi-api.md §3.1–§3.3).
    public static func video(frames: Int, fps: Double, width: Int, height: Int) -> Int {
        let rate = min(sampleFPS, fps)
        let sampled = max(Int((Double(frames) * rate / fps).rounded(.toNearestOrEven)), 1)
        var indices = [0]
        if sampled > 1 {
            let step = Double(frames - 1) / Double(sampled - 1)
            indices = (0..<sampled).map { i in
                i == sampled - 1 ? frames - 1 : Int((Double(i) * step).rounded(.toNearestOrEven))
            }
        }
        let perChunk = pads(width: width, height: height, budget: framePatchBudget)
        return stride(from: 0, to: indices.count, by: framesPerChunk).reduce(0) { total, first in
            total + text(clock(Double(indices[first]) / fps)) + 3 + text("video") + perChunk
        }
    }

    /// `HH:MM:SS.mmm` of `seconds` (milliseconds truncated).
    static func clock(_ seconds: Double) -> String {
        let whole = Int(seconds)
        let millis = Int((seconds - Double(whole)) * 1000)
        return String(format: "%02d:%02d:%02d.%03d", whole / 3600, whole / 60 % 60, whole % 60, millis)
    }

    /// Tokens of the role markers around a message.
    static func message(role: String) -> Int { 3 + text(role) }

    /// The generation prompt after the last message.
    static let generationPrompt = 4

    /// Text tokens by the pre-tokenizer described above.
    public static func text(_ string: String) -> Int {
        enum Class { case letter, digit, cjk, newline, space, sign }
        func kind(_ s: Unicode.Scalar) -> Class {
            let v = s.value
            if (0x4E00...0x9FFF).contains(v) || (0x3040...0x30FF).contains(v) || (0xAC00...0xD7AF).contains(v) { return .cjk }
            if s.properties.isAlphabetic { return .letter }
            if s.properties.numericType != nil { return .digit }
            if s == "\n" || s == "\r" { return .newline }
            if s.properties.isWhitespace { return .space }
            return .sign
        }
        let scalars = Array(string.unicodeScalars).map(kind)
        var tokens = 0, i = 0
        while i < scalars.count {
            let start = i
            switch scalars[i] {
            case .letter:
                while i < scalars.count, scalars[i] == .letter { i += 1 }
                tokens += (i - start + 7) / 8
            case .digit:
                while i < scalars.count, scalars[i] == .digit { i += 1 }
                tokens += (i - start + 2) / 3
            case .cjk:
                i += 1
                tokens += 1
            case .newline:
                while i < scalars.count, scalars[i] == .newline { i += 1 }
                tokens += 1
            case .space, .sign:
                // One space or sign joins the word after it (" the", "-based"); a run of signs is one piece.
                if i + 1 < scalars.count, scalars[i + 1] == .letter {
                    i += 1
                    continue
                }
                let first = scalars[i]
                while i < scalars.count, scalars[i] == first { i += 1 }
                tokens += 1
            }
        }
        return tokens
    }
}
