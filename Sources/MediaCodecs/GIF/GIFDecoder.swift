import CGIF
import MediaCore

/// Decodes the first frame of a GIF onto its logical screen (RGB, or RGBA when the frame has a
/// transparent colour), reading rows with `DGifGetLine`; later frames are never decoded.
enum GIFDecoder {
    static func firstFrame(_ v: ByteView, path: String) throws(MediaError) -> PixelImage {
        func fail(_ message: String, _ code: MediaError.Code = .decodeFailed) -> MediaError {
            MediaError(code, path: path, stage: .decode, message)
        }
        let reader: GIFReader
        do { reader = try GIFReader(v) } catch { throw fail("invalid GIF header: \(error.text)") }
        let gif = reader.gif
        var transparentIndex: Int?
        while true {
            var type = UNDEFINED_RECORD_TYPE
            guard DGifGetRecordType(gif, &type) == KIMI_GIF_OK else { throw fail("invalid GIF record: \(reader.lastError)") }
            switch type {
            case EXTENSION_RECORD_TYPE:
                var code: Int32 = 0
                var block: UnsafeMutablePointer<GifByteType>?
                guard DGifGetExtension(gif, &code, &block) == KIMI_GIF_OK else { throw fail("invalid GIF extension: \(reader.lastError)") }
                if code == GRAPHICS_EXT_FUNC_CODE, let b = block, b[0] >= 4, b[1] & 1 != 0 { transparentIndex = Int(b[4]) }
                while block != nil {
                    guard DGifGetExtensionNext(gif, &block) == KIMI_GIF_OK else { throw fail("invalid GIF extension: \(reader.lastError)") }
                }
            case IMAGE_DESC_RECORD_TYPE:
                guard DGifGetImageDesc(gif) == KIMI_GIF_OK else { throw fail("invalid GIF image descriptor: \(reader.lastError)") }
                return try compose(reader, transparentIndex: transparentIndex, fail: fail)
            case TERMINATE_RECORD_TYPE:
                throw fail("the GIF contains no image")
            default:
                break
            }
        }
    }

    private static func compose(_ reader: GIFReader, transparentIndex: Int?,
                                fail: (String, MediaError.Code) -> MediaError) throws(MediaError) -> PixelImage {
        let gif = reader.gif
        let screenWidth = Int(gif.pointee.SWidth), screenHeight = Int(gif.pointee.SHeight)
        let desc = gif.pointee.Image
        let left = Int(desc.Left), top = Int(desc.Top), width = Int(desc.Width), height = Int(desc.Height)
        // A GIF with neither a local nor a global colour table gets a gray ramp, as Pillow and
        // FFmpeg read it (the format leaves the colours to the decoder then).
        let grayRamp = (0..<256).map { GifColorType(Red: UInt8($0), Green: UInt8($0), Blue: UInt8($0)) }
        let map = desc.ColorMap ?? gif.pointee.SColorMap
        let mapSize = map.map { Int($0.pointee.ColorCount) } ?? 256
        return try grayRamp.withUnsafeBufferPointer { ramp throws(MediaError) -> PixelImage in
            guard let colors = map?.pointee.Colors ?? UnsafeMutablePointer(mutating: ramp.baseAddress) else {
                throw fail("the GIF frame has no colour table", .decodeFailed)
            }
            return try composeFrame(reader, colors: colors, mapSize: mapSize, transparentIndex: transparentIndex, fail: fail)
        }
    }

    private static func composeFrame(_ reader: GIFReader, colors: UnsafeMutablePointer<GifColorType>, mapSize: Int, transparentIndex: Int?,
                                     fail: (String, MediaError.Code) -> MediaError) throws(MediaError) -> PixelImage {
        let gif = reader.gif
        let screenWidth = Int(gif.pointee.SWidth), screenHeight = Int(gif.pointee.SHeight)
        let desc = gif.pointee.Image
        let left = Int(desc.Left), top = Int(desc.Top), width = Int(desc.Width), height = Int(desc.Height)
        let channels = transparentIndex == nil ? 3 : 4
        let canvas = Plane(width: screenWidth, height: screenHeight, channels: channels)
        // Outside the first frame: transparent, or the background colour when nothing is transparent.
        let background = Int(gif.pointee.SBackGroundColor)
        var fill: [UInt8] = [0, 0, 0, 0]
        if channels == 3, background < mapSize, gif.pointee.SColorMap != nil {
            let c = colors[background]
            fill = [c.Red, c.Green, c.Blue, 255]
        }
        for i in 0..<(screenWidth * screenHeight) { for k in 0..<channels { canvas.base[i * channels + k] = fill[k] } }

        var line = [GifPixelType](repeating: 0, count: max(width, 1))
        // Interlaced frames arrive in four passes: rows 0, 8, …; 4, 12, …; 2, 6, …; 1, 3, ….
        let passes: [(start: Int, step: Int)] = desc.Interlace ? [(0, 8), (4, 8), (2, 4), (1, 2)] : [(0, 1)]
        for pass in passes {
            for y in Swift.stride(from: pass.start, to: height, by: pass.step) {
                guard DGifGetLine(gif, &line, Int32(width)) == KIMI_GIF_OK else {
                    throw fail("cannot read GIF row \(y): \(reader.lastError)", reader.atEnd ? .truncatedInput : .decodeFailed)
                }
                let cy = top + y
                guard cy >= 0, cy < screenHeight else { continue }
                let row = canvas.row(cy)
                for x in 0..<width {
                    let cx = left + x
                    let index = Int(line[x])
                    guard cx >= 0, cx < screenWidth, index != transparentIndex, index < mapSize else { continue }
                    let c = colors[index]
                    row[cx * channels] = c.Red
                    row[cx * channels + 1] = c.Green
                    row[cx * channels + 2] = c.Blue
                    if channels == 4 { row[cx * channels + 3] = 255 }
                }
            }
        }
        return PixelImage(layout: channels == 4 ? .rgba : .rgb, planes: [canvas])
    }
}
