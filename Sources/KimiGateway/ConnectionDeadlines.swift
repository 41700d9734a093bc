import HTTPTypes
import NIOCore
import NIOHTTPTypes

/// Closes a connection whose client is too slow: its request's head not complete `headerTimeout`
/// seconds after the connection opened, a body silent for `idleTimeout` seconds, or no next request
/// `idleTimeout` seconds after an answer ended. A slow client (one byte every few seconds) cannot hold
/// a connection, nor a slot of the server's, for long. While the gateway itself works on a request
/// (preparing, waiting for the upstream) no clock runs.
final class ConnectionDeadlines: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    let headerTimeout: TimeAmount
    let idleTimeout: TimeAmount
    private var deadline: Scheduled<Void>?
    /// An answer's bytes the client has not taken: written but not yet flushed to the socket. A
    /// client that stops reading for `idleTimeout` loses the connection (and the request gives back
    /// what it holds: the shared rate-limit slot of a relayed stream).
    private var unwritten = 0
    private var writeDeadline: Scheduled<Void>?

    init(headerTimeout: Double, idleTimeout: Double) {
        self.headerTimeout = .milliseconds(Int64(headerTimeout * 1000))
        self.idleTimeout = .milliseconds(Int64(idleTimeout * 1000))
    }

    private func arm(_ context: ChannelHandlerContext, _ after: TimeAmount) {
        deadline?.cancel()
        let channel = context.channel
        deadline = context.eventLoop.scheduleTask(in: after) { channel.close(promise: nil) }
    }

    private func disarm() {
        deadline?.cancel()
        deadline = nil
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { arm(context, headerTimeout) }
    }

    func channelActive(context: ChannelHandlerContext) {
        arm(context, headerTimeout)
        context.fireChannelActive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        disarm()
        writeDeadline?.cancel()
    }

    func channelInactive(context: ChannelHandlerContext) {
        disarm()
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head, .body: arm(context, idleTimeout)
        case .end: disarm()
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) { arm(context, idleTimeout) }
        let written = promise ?? context.eventLoop.makePromise()
        let channel = context.channel, loop = context.eventLoop
        func rearm() {
            writeDeadline?.cancel()
            writeDeadline = loop.scheduleTask(in: idleTimeout) { channel.close(promise: nil) }
        }
        unwritten += 1
        if writeDeadline == nil { rearm() }
        written.futureResult.hop(to: loop).whenComplete { [self] _ in
            unwritten -= 1
            if unwritten == 0 {
                writeDeadline?.cancel()
                writeDeadline = nil
            } else {
                rearm()  // bytes went out: the client is reading
            }
        }
        context.write(data, promise: written)
    }
}
