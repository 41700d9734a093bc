import Foundation
import MediaCore
import Testing
import TestSupport

@testable import MediaCodecs

/// HEICs decoded by libde265 directly (``HEVCPictures``) against libheif's own decode of the same
/// file: the same picture, where the tiles go, the turn, the colour.
@Suite("HEIC pictures decoded directly")
struct HEVCPicturesTests {
    static func convert(_ name: String) -> String { Fixture.root.appendingPathComponent("convert/\(name)").path }

    /// Our planes (JFIF YCbCr) and libheif's RGB of the same file, compared as luma and chroma.
    static func compare(_ name: String, expect size: (Int, Int), pictures: Int, orientation: ExifOrientation) throws -> (luma: Double, chroma: Double) {
        let file = try MappedFile(path: convert(name))
        let layout = try #require(HEIFBoxes.hevcLayout(file.view))
        #expect(layout.pictures.count == pictures)
        #expect(layout.orientation == orientation)
        let ours = try HEVCPictures.decode(file.view, layout: layout, threads: 2)
        let theirs = try HEIFCodec.decode(file.view, hasAlpha: false, maxPixels: 1 << 26, path: name)
        #expect(ours.layout == .ycbcr && theirs.layout == .rgb)
        #expect((ours.width, ours.height) == size && (theirs.width, theirs.height) == size)
        // libheif's RGB to JFIF YCbCr (what our JPEG encoder would make of it), and the squared
        // errors: luma per pixel, chroma per 2×2 block (its mean against our subsampled sample).
        var lumaError = 0.0, chromaError = 0.0
        let rgb = theirs.planes[0]
        for y in 0..<size.1 {
            for x in 0..<size.0 {
                let r = Double(rgb[x, y, 0]), g = Double(rgb[x, y, 1]), b = Double(rgb[x, y, 2])
                let l = 0.299 * r + 0.587 * g + 0.114 * b
                lumaError += pow(l - Double(ours.planes[0][x, y, 0]), 2)
            }
        }
        for cy in 0..<size.1 / 2 {
            for cx in 0..<size.0 / 2 {
                var cb = 0.0, cr = 0.0
                for (dx, dy) in [(0, 0), (1, 0), (0, 1), (1, 1)] {
                    let r = Double(rgb[2 * cx + dx, 2 * cy + dy, 0]), g = Double(rgb[2 * cx + dx, 2 * cy + dy, 1]), b = Double(rgb[2 * cx + dx, 2 * cy + dy, 2])
                    cb += (128 - 0.168736 * r - 0.331264 * g + 0.5 * b) / 4
                    cr += (128 + 0.5 * r - 0.418688 * g - 0.081312 * b) / 4
                }
                chromaError += pow(cb - Double(ours.planes[1][cx, cy, 0]), 2) + pow(cr - Double(ours.planes[2][cx, cy, 0]), 2)
            }
        }
        func psnr(_ sum: Double, _ count: Int) -> Double { 10 * log10(255 * 255 / max(sum / Double(count), 1e-9)) }
        return (psnr(lumaError, size.0 * size.1), psnr(chromaError, 2 * (size.0 / 2) * (size.1 / 2)))
    }

    @Test func singlePictureAsHeifEncWritesIt() throws {
        let (luma, chroma) = try Self.compare("heic.heic", expect: (160, 120), pictures: 1, orientation: .up)
        #expect(luma > 45, "luma \(luma) dB")
        #expect(chroma > 30, "chroma \(chroma) dB")
    }

    /// A phone's grid: 4×3 tiles of 64×64 cropped to 200×150; a tile put in the wrong place, or the
    /// crop misread, is tens of dB off (the test pattern differs everywhere).
    @Test func gridTilesAssembledInPlace() throws {
        let (luma, chroma) = try Self.compare("heic-grid.heic", expect: (200, 150), pictures: 12, orientation: .up)
        #expect(luma > 45, "luma \(luma) dB")
        #expect(chroma > 30, "chroma \(chroma) dB")
    }

    /// A portrait: `irot` 3 (270° anticlockwise) on the grid, as libheif turns it; nclx colour box.
    @Test func portraitGridTurnedAsLibheifTurnsIt() throws {
        let (luma, chroma) = try Self.compare("heic-grid-portrait.heic", expect: (150, 200), pictures: 12, orientation: .right)
        #expect(luma > 45, "luma \(luma) dB")
        #expect(chroma > 30, "chroma \(chroma) dB")
    }

    /// What this reader does not handle exactly stays libheif's: AVIF (AV1), an image with alpha.
    @Test func otherImagesAreLeftToLibheif() throws {
        for name in ["avif.avif", "avif-alpha.avif"] {
            let file = try MappedFile(path: Self.convert(name))
            #expect(HEIFBoxes.hevcLayout(file.view) == nil, "\(name)")
        }
    }

    /// The pipeline takes this path for a JPEG output (planes) and gives the size the probe said;
    /// a PNG output (libheif's RGB) is the same picture.
    @Test func pipelineOutputsMatchLibheifs() throws {
        for name in ["heic-grid.heic", "heic-grid-portrait.heic"] {
            let path = Self.convert(name)
            let info = try MediaProber.probe(path: path)
            let jpeg = ImagePlan.make(for: info, options: ImageOptions())
            let png = ImagePlan.make(for: info, options: try ImageOptions(format: .png))
            let fast = try ImagePipeline.decode(path: path, info: info, plan: jpeg)
            let slow = try ImagePipeline.decode(path: path, info: info, plan: png)
            #expect(fast.layout == .ycbcr && slow.layout == .rgb)
            #expect((fast.width, fast.height) == (info.width, info.height) && (slow.width, slow.height) == (info.width, info.height))
        }
    }

    /// A grid whose tile data is cut short: an error naming the file (libheif's, after ours declines),
    /// never a crash or a picture with holes.
    @Test func damagedTileDataFails() throws {
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: Self.convert("heic-grid.heic"))))
        // Zero the second half of the mdat: tiles' slice data turns to garbage, lengths stay.
        let half = bytes.count / 2
        for i in half..<bytes.count { bytes[i] = 0 }
        let folder = try TemporaryFolder()
        let path = try folder.write("damaged.heic", bytes)
        let info = try MediaProber.probe(path: path)
        let plan = ImagePlan.make(for: info, options: ImageOptions())
        #expect(throws: MediaError.self) { _ = try ImagePipeline.decode(path: path, info: info, plan: plan) }
    }
}
