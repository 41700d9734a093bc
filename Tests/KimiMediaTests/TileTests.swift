import Foundation
@testable import KimiMedia
import MediaCodecs
import Testing
import TestSupport

/// `--tiles auto`: a tall screenshot cut into full-width tiles the model reads at full size.
@Suite("Tiles")
struct TileTests {
    /// A 1080×12000 "screenshot": lines of glyph-like marks 28 px tall every 44 px.
    static func screenshot(width: Int = 1080, height: Int = 12000) -> Plane {
        Plane(width: width, height: height, channels: 3) { x, y, c in
            let line = y / 44
            let ink = y % 44 < 28 && x > 20 && x < width - 20 && (x / 14 + line * 7) % 5 != 0 && (x / 3 + y / 2) % 3 != 0
            return ink ? UInt8(30 + (line * 37 + c * 11) % 60) : UInt8(250 - c * 3)
        }
    }

    @Test func tallScreenshotIsReadWholeInFullWidthTiles() async throws {
        let folder = try TemporaryFolder()
        let source = Self.screenshot()
        let info = MediaInfo(path: "s.png", kind: .image, format: .png, storedWidth: source.width, storedHeight: source.height,
                             orientation: 1, swapsDimensions: false, bytes: 1, accepted: true)
        let png = try ImagePipeline.encode(PixelImage(layout: .rgb, planes: [source]),
                                           plan: ImagePlan.make(for: info, options: try ImageOptions(format: .png)), path: "s.png")
        let path = try folder.write("IMG_0042.png", png)
        var options = try ImageOptions(format: .png)  // lossless tiles: compared row for row with the source
        options.tiles = TileOptions()
        let media = try await Preparer(imageOptions: options).prepare(URL(fileURLWithPath: path))
        #expect(media.tiles.count == 5)
        let sum = media.tiles.map { $0.estimate?.tokens ?? 0 }.reduce(0, +)
        #expect(media.totalTokens == sum)
        let whole = try await Preparer().prepare(URL(fileURLWithPath: path))
        #expect((media.totalTokens ?? 0) > (whole.totalTokens ?? 0) * 5)  // the cost the user chose
        var covered: [(Int, Int)] = []
        for (k, tile) in media.tiles.enumerated() {
            let box = try #require(tile.tile)
            #expect(box.index == k + 1 && box.count == 5 && box.direction == TilePlan.Direction.topToBottom)
            #expect(box.x == 0 && box.width == 1080 && tile.width == 1080 && tile.height == box.height)
            // At scale 1: the model does not resize a tile.
            let model = ImageTokens(width: box.width, height: box.height)
            #expect(model.resizedWidth == box.width && model.resizedHeight == box.height)
            #expect(tile.estimate?.tokens == box.tokens)
            // Its rows are the source's rows y…y+h, exactly.
            guard case .image(let bytes) = tile.payload else { Issue.record("tile \(k) has no bytes"); continue }
            let file = try folder.write("tile-\(k).png", bytes)
            let tileInfo = try MediaProber.probe(path: file)
            let decoded = try ImagePipeline.decode(path: file, info: tileInfo, plan: ImagePlan.make(for: tileInfo, options: try ImageOptions(format: .png)))
            let plane = decoded.planes[0]
            var mismatches = 0
            for y in stride(from: 0, to: box.height, by: 7) {
                for x in stride(from: 0, to: box.width, by: 5) where plane[x, y, 0] != source[x, box.y + y, 0] { mismatches += 1 }
            }
            #expect(mismatches == 0, "tile \(k + 1): \(mismatches) samples differ from the source at its box")
            covered.append((box.y, box.y + box.height))
        }
        // Every line of text lies whole inside some tile, and the tiles cover every row.
        for line in 0..<(12000 / 44) {
            let (top, bottom) = (line * 44, min(12000, line * 44 + 28))
            #expect(covered.contains { $0.0 <= top && bottom <= $0.1 }, "line \(line) (rows \(top)–\(bottom)) is cut in every tile")
        }
        #expect(covered.first?.0 == 0 && covered.last?.1 == 12000)
        // In a request: the tiles in order, each after its caption.
        let planned = try await RequestBuilder().build(prompt: "Summarise this chat.", media: [media])
        guard case .parts(let parts)? = planned.request.messages.last?.content else { Issue.record("no parts"); return }
        let captions = parts.compactMap { part -> String? in if case .text(let t) = part { t } else { nil } }
        #expect(captions.first == "(part 1 of 5 of IMG_0042.png, top to bottom)")
        #expect(captions.count == 6 && captions.last == "Summarise this chat.")
        #expect(parts.count == 11)
    }

    @Test func smallOrSquareImagesAreNotTiled() {
        var options = ImageOptions()
        options.tiles = TileOptions()
        #expect(TilePlan.make(width: 4032, height: 3024, box: options.box, options: TileOptions()) == nil)
        #expect(TilePlan.make(width: 1080, height: 1920, box: options.box, options: TileOptions()) == nil)
        let wide = TilePlan.make(width: 16000, height: 900, box: options.box, options: TileOptions())
        #expect(wide?.direction == TilePlan.Direction.leftToRight && wide?.tiles.allSatisfy { $0.height == 900 && $0.y == 0 } == true)
        #expect(wide?.tiles.last.map { $0.x + $0.width } == 16000)
    }
}
