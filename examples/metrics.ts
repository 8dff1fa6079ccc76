import type { FastifyInstance } from 'fastify'
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus'
import { MeterProvider } from '@opentelemetry/sdk-metrics'
import { instrument } from '../otel.js'

/**
 * GET /metrics in Prometheus text format: fastify-codex's channels through `instrument()` into an OpenTelemetry
 * MeterProvider read by the Prometheus exporter (served by this app, not by the exporter's own HTTP server).
 */
export async function metricsRoute (app: FastifyInstance): Promise<void> {
  const exporter = new PrometheusExporter({ preventServerStart: true })
  const meterProvider = new MeterProvider({ readers: [exporter] })
  const stop = instrument({ meterProvider })
  app.get('/metrics', (request, reply) => {
    // The exporter writes the response itself.
    reply.hijack()
    exporter.getMetricsRequestHandler(request.raw, reply.raw)
  })
  app.addHook('onClose', async () => {
    stop()
    await meterProvider.shutdown()
  })
}
