public import ConveyorCore
public import Hummingbird

/// HTTPMetricsMiddleware counts every answered request and times it, by route pattern, method and
/// status. Outermost, so it sees the status the client got — problems included; the time is until
/// the answer is ready to be written.
public struct HTTPMetricsMiddleware: RouterMiddleware {
    public typealias Context = ConveyorRequestContext

    let metrics: ConveyorMetrics

    public init(metrics: ConveyorMetrics) {
        self.metrics = metrics
    }

    public func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let start = ContinuousClock.now
        let metrics = self.metrics
        let method = request.method.rawValue
        do {
            let response = try await next(request, context)
            metrics.httpRequest(
                route: context.endpointPath ?? "unmatched", method: method, status: response.status.code,
                duration: ContinuousClock.now - start)
            return response
        } catch {
            let status = (error as? any HTTPResponseError)?.status.code ?? 500
            metrics.httpRequest(
                route: context.endpointPath ?? "unmatched", method: method, status: status,
                duration: ContinuousClock.now - start)
            throw error
        }
    }
}
