import CHeifLoader
import CPixelKernels
import Dispatch
import MediaCore

/// The fast way through a HEIC: its HEVC picture (or its grid of tile pictures, as phones write
/// them) decoded by libde265 directly and kept as YCbCr planes, for a JPEG output.
///
/// libheif 1.15 gives libde265 one worker thread and converts every picture to interleaved RGB
/// (then our JPEG encoder converts back); here a single picture gets a libde265 worker per core
/// (x265 writes wavefront rows, which decode in parallel), a grid's tiles are decoded on every
/// core at once, and each picture is written straight into the full image's 4:2:0 planes, range-
/// and matrix-converted to JFIF (full-range BT.601) in the same pass (``ColorMatrix``'s kernel), so
/// no RGB image exists at all.
///
/// Only what this reader handles exactly takes it (``HEIFBoxes/hevcLayout(_:)``): an `hvc1` or a
/// `grid` of `hvc1` tiles, 8-bit 4:2:0, BT.601 or BT.709 (full or limited range), transformed by
/// `irot` at most, no alpha. Anything else — AVIF, `clap`, `imir`, 10-bit, 4:4:4, alpha — is
/// libheif's, as before.
enum HEVCPictures {
    /// `nil` when libde265 is ready.
    static let loadError: String? = {
        var buffer = [CChar](repeating: 0, count: 512)
        guard kimi_hevc_load(&buffer, buffer.count) != 0 else { return nil }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }()

    /// Why a picture did not take this path: the caller falls back to libheif.
    struct Declined: Error, Equatable { var reason: String }

    /// The primary image as full-range BT.601 YCbCr 4:2:0 planes, upright (its `irot` applied).
    static func decode(_ v: ByteView, layout: HEIFBoxes.HEVCLayout, threads: Int) throws(Declined) -> PixelImage {
        if let why = loadError { throw Declined(reason: why) }
        let (width, height) = (layout.width, layout.height)
        let image = PixelImage(layout: .ycbcr, planes: [
            Plane(width: width, height: height, channels: 1),
            Plane(width: (width + 1) / 2, height: (height + 1) / 2, channels: 1),
            Plane(width: (width + 1) / 2, height: (height + 1) / 2, channels: 1),
        ])
        let pictures = layout.pictures
        if pictures.count == 1 {
            try decode(v, pictures[0], layout: layout, into: image, threads: max(1, threads))
        } else {
            // Tiles in parallel, each decoder on its worker's thread (no libde265 threads of its own).
            let workers = max(1, min(threads, pictures.count))
            let failure = Locked<Declined?>(nil)
            // The view's memory outlives the parallel loop (it returns when every worker has).
            let work = UncheckedWork { worker in
                var index = worker
                while index < pictures.count, failure.withLock({ $0 == nil }) {
                    do throws(Declined) { try decode(v, pictures[index], layout: layout, into: image, threads: 0) } catch {
                        failure.withLock { if $0 == nil { $0 = error } }
                    }
                    index += workers
                }
            }
            if workers == 1 { work.work(0) } else { DispatchQueue.concurrentPerform(iterations: workers) { work.work($0) } }
            if let first = failure.withLock({ $0 }) { throw first }
        }
        return image.oriented(layout.orientation)
    }

    /// One picture decoded and written into its box of `image`.
    private static func decode(_ v: ByteView, _ picture: HEIFBoxes.HEVCLayout.Picture, layout: HEIFBoxes.HEVCLayout,
                               into image: PixelImage, threads: Int) throws(Declined) {
        guard let decoder = kimi_hevc_new(Int32(threads)) else { throw Declined(reason: "libde265 could not start a decoder") }
        defer { kimi_hevc_free(decoder) }
        var out = kimi_hevc_picture()
        var message = [CChar](repeating: 0, count: 256)
        let data = HEIFBoxes.itemData(picture.extents, v)
        let config = v.bytes.baseAddress!.assumingMemoryBound(to: UInt8.self) + picture.config.lowerBound
        let status = data.withUnsafeBufferPointer { bytes in
            kimi_hevc_decode(decoder, config, picture.config.count, bytes.baseAddress, bytes.count, &out, &message, message.count)
        }
        guard status == 0 else {
            throw Declined(reason: String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        guard out.chroma_format == 1, out.bit_depth == 8, out.chroma_bit_depth == 8 else {
            throw Declined(reason: "\(out.bit_depth)-bit, chroma format \(out.chroma_format)")
        }
        guard Int(out.width) >= picture.width, Int(out.height) >= picture.height,
              out.chroma_width == (out.width + 1) / 2, out.chroma_height == (out.height + 1) / 2 else {
            throw Declined(reason: "a picture of \(out.width)×\(out.height) where \(picture.width)×\(picture.height) was declared")
        }
        // The colour description: the item's nclx box, else the stream's VUI (libheif's order).
        let matrix = layout.matrix ?? Int(out.matrix_coefficients)
        let fullRange = layout.fullRange ?? (out.full_range != 0)
        let bt709: Bool
        switch matrix {
        case 1: bt709 = true
        case 2, 5, 6: bt709 = false  // 2 (unspecified): BT.601, as libheif reads it
        default: throw Declined(reason: "matrix coefficients \(matrix)")
        }
        // The part of the picture inside the image (the grid's last row and column are cropped).
        let w = min(picture.width, image.width - picture.x), h = min(picture.height, image.height - picture.y)
        guard w > 0, h > 0 else { return }
        let (y, cb, cr) = (image.planes[0], image.planes[1], image.planes[2])
        let (cx, cy) = (picture.x / 2, picture.y / 2)
        let status2 = kimi_video_to_jfif(
            out.plane.0, Int(out.stride.0), out.plane.1, Int(out.stride.1), out.plane.2, Int(out.stride.2),
            y.base + picture.y * y.rowBytes + picture.x, y.rowBytes,
            cb.base + cy * cb.rowBytes + cx, cb.rowBytes, cr.base + cy * cr.rowBytes + cx, cr.rowBytes,
            Int32(w), Int32(h), Int32(min((w + 1) / 2, cb.width - cx)), Int32(min((h + 1) / 2, cb.height - cy)),
            fullRange ? 0 : 1, bt709 ? 1 : 0)
        precondition(status2 == 0, "out of memory for a colour conversion's rows")
    }

    /// A closure over a `ByteView` (raw pointers), handed to the parallel loop.
    private struct UncheckedWork: @unchecked Sendable {
        let work: (Int) -> Void
        init(_ work: @escaping (Int) -> Void) { self.work = work }
    }
}

extension HEIFBoxes {
    /// What ``HEVCPictures`` needs of a HEIC's primary image: its pictures (one, or a grid's tiles)
    /// with their `hvcC` and data, where each goes, the image's size, its turn and colour.
    struct HEVCLayout {
        struct Picture {
            var config: Range<Int>    // the hvcC box's body
            var extents: [Range<Int>] // the item's data, in the file
            var width: Int, height: Int, x: Int, y: Int
        }

        var pictures: [Picture]
        var width: Int, height: Int
        var orientation: ExifOrientation
        var matrix: Int?
        var fullRange: Bool?
    }

    /// The primary image's layout when ``HEVCPictures`` can decode it exactly, else `nil`.
    static func hevcLayout(_ v: ByteView) -> HEVCLayout? {
        guard let meta = child("meta", in: 0..<v.count, v).map({ ($0.lowerBound + 4)..<$0.upperBound }),
              let pitm = child("pitm", in: meta, v), let iinf = child("iinf", in: meta, v), let iloc = child("iloc", in: meta, v),
              let iprp = child("iprp", in: meta, v), let ipco = child("ipco", in: iprp, v), let ipma = child("ipma", in: iprp, v),
              let pitmVersion = v.u8(pitm.lowerBound),
              let primary = pitmVersion == 0 ? v.u16be(pitm.lowerBound + 4).map(UInt32.init) : v.u32be(pitm.lowerBound + 4),
              let types = itemTypes(iinf, v), let locations = itemLocations(iloc, idat: child("idat", in: meta, v), v),
              let properties = itemProperties(ipco: ipco, ipma: ipma, v)
        else { return nil }

        /// The properties of a picture item: hvcC, ispe and only what does not change its pixels.
        func picture(_ item: UInt32, allowed: Set<String>) -> (config: Range<Int>, width: Int, height: Int)? {
            guard types[item] == "hvc1", let props = properties[item], props.allSatisfy({ allowed.contains($0.type) }),
                  let config = props.first(where: { $0.type == "hvcC" })?.body,
                  let ispe = props.first(where: { $0.type == "ispe" })?.body,
                  let w = v.u32be(ispe.lowerBound + 4), let h = v.u32be(ispe.lowerBound + 8), w > 0, h > 0, w < 1 << 16, h < 1 << 16
            else { return nil }
            return (config, Int(w), Int(h))
        }
        let pictureProperties: Set<String> = ["hvcC", "ispe", "colr", "pixi"]
        let primaryProperties = properties[primary] ?? []
        guard primaryProperties.allSatisfy({ (pictureProperties.union(["irot"])).contains($0.type) }) else { return nil }

        var layout: HEVCLayout
        var colourItems = [primary]
        switch types[primary] {
        case "hvc1":
            guard let p = picture(primary, allowed: pictureProperties.union(["irot"])), let extents = locations[primary] else { return nil }
            layout = HEVCLayout(pictures: [.init(config: p.config, extents: extents, width: p.width, height: p.height, x: 0, y: 0)],
                                width: p.width, height: p.height, orientation: .up)
        case "grid":
            // The grid's description (ISO/IEC 23008-12 6.6.2.3.2) and its tiles (its `dimg` references, row by row).
            guard let gridData = locations[primary].map({ itemData($0, v) }),
                  gridData.count >= 8, gridData[0] == 0,
                  let iref = child("iref", in: meta, v), let tiles = references("dimg", from: primary, iref: iref, v)
            else { return nil }
            let rows = Int(gridData[2]) + 1, columns = Int(gridData[3]) + 1
            let wide = gridData[1] & 1 != 0
            guard !wide || gridData.count >= 12 else { return nil }
            func field(_ i: Int) -> Int {
                wide ? gridData[4 + 4 * i ..< 8 + 4 * i].reduce(0) { $0 << 8 | Int($1) } : gridData[4 + 2 * i ..< 6 + 2 * i].reduce(0) { $0 << 8 | Int($1) }
            }
            let (width, height) = (field(0), field(1))
            guard tiles.count == rows * columns, width > 0, height > 0, let first = picture(tiles[0], allowed: pictureProperties),
                  first.width % 2 == 0, first.height % 2 == 0,
                  columns * first.width >= width, rows * first.height >= height,
                  (columns - 1) * first.width < width, (rows - 1) * first.height < height
            else { return nil }
            var pictures: [HEVCLayout.Picture] = []
            for (index, tile) in tiles.enumerated() {
                guard let p = picture(tile, allowed: pictureProperties), p.width == first.width, p.height == first.height,
                      let extents = locations[tile] else { return nil }
                pictures.append(.init(config: p.config, extents: extents, width: p.width, height: p.height,
                                      x: index % columns * p.width, y: index / columns * p.height))
            }
            layout = HEVCLayout(pictures: pictures, width: width, height: height, orientation: .up)
            colourItems.append(tiles[0])
        default:
            return nil
        }
        // irot: anticlockwise quarter turns.
        if let irot = primaryProperties.first(where: { $0.type == "irot" }), let angle = v.u8(irot.body.lowerBound) {
            layout.orientation = [ExifOrientation.up, .left, .down, .right][Int(angle & 3)]
        }
        // An nclx colour box on the primary item (else on its first picture) decides the matrix and range.
        for item in colourItems {
            for colr in properties[item] ?? [] where colr.type == "colr" {
                guard v.fourCC(colr.body.lowerBound) == "nclx", let matrix = v.u16be(colr.body.lowerBound + 8),
                      let range = v.u8(colr.body.lowerBound + 10) else { continue }
                layout.matrix = Int(matrix)
                layout.fullRange = range & 0x80 != 0
                return layout
            }
        }
        return layout
    }

    /// An item's data: its extents' bytes joined (``itemLocations`` caps them at the file's size).
    static func itemData(_ extents: [Range<Int>], _ v: ByteView) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(extents.reduce(0) { $0 + $1.count })
        for extent in extents { bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: v.bytes[extent])) }
        return bytes
    }

    /// `iinf`: item id → item type (from `infe` boxes of version 2 and 3).
    private static func itemTypes(_ iinf: Range<Int>, _ v: ByteView) -> [UInt32: String]? {
        guard let version = v.u8(iinf.lowerBound) else { return nil }
        var at = iinf.lowerBound + 4 + (version == 0 ? 2 : 4)
        var types: [UInt32: String] = [:]
        while let (type, body, end) = box(at, limit: iinf.upperBound, v) {
            at = end
            guard type == "infe", let infeVersion = v.u8(body.lowerBound), infeVersion >= 2 else { continue }
            let idSize = infeVersion == 2 ? 2 : 4
            guard let id = idSize == 2 ? v.u16be(body.lowerBound + 4).map(UInt32.init) : v.u32be(body.lowerBound + 4),
                  let itemType = v.fourCC(body.lowerBound + 4 + idSize + 2) else { return nil }
            types[id] = itemType
        }
        return types
    }

    /// `iloc`: item id → its data's extents in the file (construction method 0, this file) or in
    /// `idat` (method 1). Items stored elsewhere (a data reference, method 2) are left out.
    private static func itemLocations(_ iloc: Range<Int>, idat: Range<Int>?, _ v: ByteView) -> [UInt32: [Range<Int>]]? {
        guard let version = v.u8(iloc.lowerBound), version <= 2, let sizes = v.u16be(iloc.lowerBound + 4) else { return nil }
        let offsetSize = Int(sizes >> 12), lengthSize = Int(sizes >> 8 & 15), baseSize = Int(sizes >> 4 & 15)
        let indexSize = version >= 1 ? Int(sizes & 15) : 0
        var at = iloc.lowerBound + 6
        func read(_ size: Int) -> Int? {
            guard size == 0 || size == 4 || size == 8 || size == 2 else { return nil }
            defer { at += size }
            switch size {
            case 0: return 0
            case 2: return v.u16be(at).map(Int.init)
            case 4: return v.u32be(at).map(Int.init)
            default: return v.u64be(at).flatMap { $0 < UInt64(Int.max / 2) ? Int($0) : nil }
            }
        }
        guard let count = read(version < 2 ? 2 : 4) else { return nil }
        var locations: [UInt32: [Range<Int>]] = [:]
        for _ in 0..<min(count, 1 << 16) {
            guard let id = read(version < 2 ? 2 : 4) else { return nil }
            var method = 0
            if version >= 1 { guard let m = read(2) else { return nil }; method = m & 15 }
            guard let reference = read(2), let base = read(baseSize), let extentCount = read(2) else { return nil }
            var extents: [Range<Int>] = []
            for _ in 0..<extentCount {
                if indexSize > 0 { guard read(indexSize) != nil else { return nil } }
                guard let offset = read(offsetSize), let length = read(lengthSize) else { return nil }
                let (start, o1) = offset.addingReportingOverflow(base), (end, o2) = start.addingReportingOverflow(length)
                guard !o1, !o2 else { return nil }
                extents.append(start..<end)
            }
            guard reference == 0 else { continue }
            let container: Range<Int>
            switch method {
            case 0: container = 0..<v.count
            case 1: guard let idat else { continue }; container = idat
            default: continue
            }
            var inFile: [Range<Int>] = []
            for extent in extents {
                // Length 0 means "to the end" (of the file or idat).
                let (start, o1) = container.lowerBound.addingReportingOverflow(extent.lowerBound)
                let (sized, o2) = start.addingReportingOverflow(extent.count)
                let end = extent.isEmpty ? container.upperBound : sized
                guard !o1, !o2, start >= container.lowerBound, start <= end, end <= container.upperBound else { inFile = []; break }
                inFile.append(start..<end)
            }
            // An item's data is never more than the file (extents of length 0 mean "to the end", and
            // 65,535 of them would be 65,535 copies).
            guard inFile.reduce(0, { $0 + $1.count }) <= v.count else { return nil }
            if !inFile.isEmpty { locations[UInt32(id)] = inFile }
        }
        return locations
    }

    /// `ipco` + `ipma`: item id → its properties (type and body) in association order.
    private static func itemProperties(ipco: Range<Int>, ipma: Range<Int>, _ v: ByteView) -> [UInt32: [(type: String, body: Range<Int>)]]? {
        var boxes: [(type: String, body: Range<Int>)] = []
        var at = ipco.lowerBound
        while let (type, body, end) = box(at, limit: ipco.upperBound, v) {
            boxes.append((type, body))
            at = end
        }
        guard let version = v.u8(ipma.lowerBound), let flags = v.u8(ipma.lowerBound + 3), let count = v.u32be(ipma.lowerBound + 4) else { return nil }
        at = ipma.lowerBound + 8
        var result: [UInt32: [(type: String, body: Range<Int>)]] = [:]
        for _ in 0..<min(Int(count), 1 << 16) {
            guard let item = version < 1 ? v.u16be(at).map(UInt32.init) : v.u32be(at) else { return nil }
            at += version < 1 ? 2 : 4
            guard let associations = v.u8(at) else { return nil }
            at += 1
            var list: [(type: String, body: Range<Int>)] = []
            for _ in 0..<Int(associations) {
                let index: Int
                if flags & 1 != 0 {
                    guard let value = v.u16be(at) else { return nil }
                    index = Int(value & 0x7FFF)
                    at += 2
                } else {
                    guard let value = v.u8(at) else { return nil }
                    index = Int(value & 0x7F)
                    at += 1
                }
                guard index >= 1, index <= boxes.count else { continue }  // 0: no property
                list.append(boxes[index - 1])
            }
            result[item] = list
        }
        return result
    }

    /// The items `from` refers to by `type` in `iref`, in order.
    private static func references(_ type: String, from: UInt32, iref: Range<Int>, _ v: ByteView) -> [UInt32]? {
        guard let version = v.u8(iref.lowerBound) else { return nil }
        let idSize = version == 0 ? 2 : 4
        func id(_ at: Int) -> UInt32? { idSize == 2 ? v.u16be(at).map(UInt32.init) : v.u32be(at) }
        var at = iref.lowerBound + 4
        while let (found, body, end) = box(at, limit: iref.upperBound, v) {
            at = end
            guard found == type, id(body.lowerBound) == from, let count = v.u16be(body.lowerBound + idSize) else { continue }
            var ids: [UInt32] = []
            for i in 0..<Int(count) {
                guard let to = id(body.lowerBound + idSize + 2 + i * idSize) else { return nil }
                ids.append(to)
            }
            return ids
        }
        return nil
    }
}
