extension Plane {
    /// The plane turned upright for EXIF `orientation`: each output pixel (x, y) reads the stored
    /// pixel the tag maps it to. Orientations 5–8 exchange width and height.
    public func oriented(_ orientation: ExifOrientation) -> Plane {
        if orientation == .up { return self }
        let w = width, h = height, c = channels, row = rowBytes
        let output = orientation.swapsDimensions ? Plane(width: h, height: w, channels: c) : Plane(width: w, height: h, channels: c)
        // Source byte offset of output (0, 0), and how it moves per output step in x and in y.
        let (origin, stepX, stepY): (Int, Int, Int) = switch orientation {
        case .up: (0, c, row)
        case .upMirrored: ((w - 1) * c, -c, row)
        case .down: ((h - 1) * row + (w - 1) * c, -c, -row)
        case .downMirrored: ((h - 1) * row, c, -row)
        case .leftMirrored: (0, row, c)                                  // transpose
        case .right: ((h - 1) * row, -row, c)                            // 90° clockwise
        case .rightMirrored: ((h - 1) * row + (w - 1) * c, -row, -c)     // transverse
        case .left: ((w - 1) * c, row, -c)                               // 90° counter-clockwise
        }
        let src = base, dst = output.base
        for y in 0..<output.height {
            var s = origin + y * stepY
            let d = dst + y * output.rowBytes
            if c == 1 {
                for x in 0..<output.width {
                    d[x] = src[s]
                    s += stepX
                }
            } else {
                for x in 0..<output.width {
                    for k in 0..<c { d[x * c + k] = src[s + k] }
                    s += stepX
                }
            }
        }
        return output
    }
}

extension PixelImage {
    /// Every plane turned upright for `orientation`.
    public func oriented(_ orientation: ExifOrientation) -> PixelImage {
        orientation == .up ? self : PixelImage(layout: layout, planes: planes.map { $0.oriented(orientation) })
    }
}
