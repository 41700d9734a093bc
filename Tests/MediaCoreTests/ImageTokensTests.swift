import Testing

@testable import MediaCore

/// Every golden row of docs/kimi-api.md §2.5: (W, H) → resized (w, h), pad (w, h), tokens.
let imageTokenGoldens: [(w: Int, h: Int, rw: Int, rh: Int, pw: Int, ph: Int, tokens: Int)] = [
    (100, 100, 100, 100, 12, 12, 16),
    (640, 480, 640, 480, 4, 24, 414),
    (1920, 1080, 1920, 1080, 12, 12, 2691),
    (4096, 2160, 2472, 1303, 20, 13, 4183),
    (8000, 6000, 2071, 1553, 1, 15, 4144),
    (28, 10000, 20, 7168, 8, 0, 256),
    (1, 1, 1, 1, 27, 27, 1),
    (28, 28, 28, 28, 0, 0, 1),
    (29, 29, 29, 29, 27, 27, 4),
    (224, 224, 224, 224, 0, 0, 64),
    (448, 449, 448, 449, 0, 27, 272),
    (1024, 768, 1024, 768, 12, 16, 1036),
    (1280, 720, 1280, 720, 8, 8, 1196),
    (2048, 1080, 2048, 1080, 24, 12, 2886),
    (2560, 1440, 2404, 1352, 4, 20, 4214),
    (3000, 3000, 1794, 1794, 26, 26, 4225),
    (3024, 4032, 1551, 2069, 17, 3, 4144),
    (1792, 1792, 1792, 1792, 0, 0, 4096),
    (1793, 1793, 1793, 1793, 27, 27, 4225),
    (7168, 7168, 1792, 1792, 0, 0, 4096),
    (10000, 28, 7168, 20, 0, 8, 256),
    (20000, 100, 7168, 35, 0, 21, 512),
    (7081, 489, 6917, 477, 27, 27, 4464),
]

/// §3.4: per-chunk tokens at the 4096-patch frame budget.
let frameTokenGoldens: [(w: Int, h: Int, rw: Int, rh: Int, tokens: Int)] = [
    (320, 240, 320, 240, 108), (640, 360, 640, 360, 299), (640, 480, 640, 480, 414), (854, 480, 854, 480, 558),
    (1280, 720, 1202, 676, 1075), (1920, 1080, 1196, 672, 1032), (2048, 1080, 1236, 651, 1080),
    (2560, 1440, 1202, 676, 1075), (3840, 2160, 1196, 672, 1032), (1080, 1920, 672, 1196, 1032),
]

@Suite("Image tokens (docs/kimi-api.md §2.2, §2.5, §3.4)")
struct ImageTokensTests {
    @Test func everyGoldenImageRow() {
        for g in imageTokenGoldens {
            let t = ImageTokens(width: g.w, height: g.h)
            #expect([t.resizedWidth, t.resizedHeight, t.padWidth, t.padHeight, t.tokens] == [g.rw, g.rh, g.pw, g.ph, g.tokens],
                    "\(g.w)×\(g.h)")
        }
    }

    @Test func everyGoldenFrameRow() {
        for g in frameTokenGoldens {
            let t = ImageTokens(width: g.w, height: g.h, patchLimit: ModelProfile.kimiK26.inPatchLimitEachFrame)
            #expect([t.resizedWidth, t.resizedHeight, t.tokens] == [g.rw, g.rh, g.tokens], "\(g.w)×\(g.h)")
        }
    }

    @Test func promptTokensAddTheWrapper() {
        // 224×224: 64 media tokens, 69 with the boundary markers (the serving API's count in §2.4).
        #expect(ImageTokens(width: 224, height: 224).promptTokens() == 69)
    }

    /// The largest count over a coarse grid stays at the §1 maximum of 4464.
    @Test func neverMoreThanTheKnownMaximum() {
        var most = 0
        for w in stride(from: 1, through: 9000, by: 97) {
            for h in stride(from: 1, through: 9000, by: 89) { most = max(most, ImageTokens(width: w, height: h).tokens) }
        }
        #expect(most <= 4464)
        #expect(most > 4096)
    }
}
