/**
 * Lifecycle events on an EventBridge bus (the account's default bus or a custom one): one PutEvents entry per
 * event, `source` "driftgate", the versioned `detail-type` of its type (core/constants.ts DETAIL_TYPE) and the
 * event JSON as `detail`. A rule matches on them; README "The lifecycle events (EventBridge)" has one that
 * starts a SageMaker Pipeline.
 *
 * PutEvents answers 200 even when it stored nothing: a failed entry shows only in `FailedEntryCount` and the
 * entry's `ErrorCode`. Either is a failure here, so the caller's retry (the retrain claim, the handler's
 * retry) takes over; the retried event carries the same `eventId`.
 */
import { type EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { DETAIL_TYPE, EVENT_SOURCE } from '../core/constants.js';
import { AdapterError } from '../core/errors.js';
import type { LifecycleEvent } from '../core/events/lifecycle.js';
import type { EventSink, LifecycleEventSink, RetrainRequested } from '../core/ports.js';

/**
 * Publishes lifecycle events (RetrainRequested included) to one EventBridge bus.
 * @example
 * const sink = new EventBridgeSink(createEventBridgeClient(), process.env.EVENT_BUS_NAME ?? 'default');
 * await sink.publish(event);
 */
export class EventBridgeSink implements LifecycleEventSink, EventSink {
  constructor(
    private readonly client: EventBridgeClient,
    readonly busName: string,
  ) {}

  /** Put one event on the bus; resolves with EventBridge's event id, throws AdapterError when the entry failed. */
  async publish(event: LifecycleEvent | RetrainRequested): Promise<{ messageId: string }> {
    const operation = `PutEvents ${event.type} ${event.eventId} to bus ${this.busName}`;
    let response;
    try {
      response = await this.client.send(
        new PutEventsCommand({
          Entries: [
            {
              EventBusName: this.busName,
              Source: EVENT_SOURCE,
              DetailType: DETAIL_TYPE[event.type],
              Detail: JSON.stringify(event),
              Time: new Date(event.at),
            },
          ],
        }),
      );
    } catch (error) {
      throw new AdapterError('eventbridge', operation, { cause: error });
    }
    const entry = response.Entries?.[0];
    if ((response.FailedEntryCount ?? 0) > 0 || entry?.ErrorCode !== undefined || entry?.EventId === undefined) {
      const why = entry?.ErrorCode !== undefined ? `${entry.ErrorCode}: ${entry.ErrorMessage ?? ''}`.trim() : `${response.FailedEntryCount ?? 0} failed entries, no event id`;
      throw new AdapterError('eventbridge', operation, { cause: new Error(`the entry was not stored (${why})`) });
    }
    return { messageId: entry.EventId };
  }
}
