/**
 * The RabbitMQ (AMQP 0-9-1) event sink: a durable topic exchange (`imgplane.events`), routing key
 * = event type, persistent JSON messages whose message id is the event id (consumers dedupe on
 * it: delivery is at least once), each published on a confirm channel and awaited until the
 * broker confirms it. The connection is opened lazily and re-opened after any failure, so a
 * broker that is down only delays events (they wait in the outbox), never loses them.
 */
import amqp, { type ChannelModel, type ConfirmChannel } from 'amqplib';
import { redactUrl } from '../../core/config.ts';
import { eventDocument, type PlatformEvent } from './event.ts';
import type { EventSink } from './sink.ts';

export const EVENTS_EXCHANGE = 'imgplane.events';

export interface AmqpSinkOptions {
  url: string;
  exchange?: string;
  /** Give up connecting after this long (default 5000 ms). */
  connectTimeoutMs?: number;
}

interface Link {
  connection: ChannelModel;
  channel: ConfirmChannel;
}

export class AmqpEventSink implements EventSink {
  readonly name = 'amqp';
  readonly #url: string;
  readonly #exchange: string;
  readonly #connectTimeoutMs: number;
  #link: Promise<Link> | undefined;
  /** The link `#link` resolved to, so a late failure of an older one does not drop a newer one. */
  #active: Link | undefined;
  #closed = false;

  constructor(options: AmqpSinkOptions) {
    this.#url = options.url;
    this.#exchange = options.exchange ?? EVENTS_EXCHANGE;
    this.#connectTimeoutMs = options.connectTimeoutMs ?? 5_000;
  }

  async publish(event: PlatformEvent): Promise<void> {
    if (this.#closed) throw new Error('the AMQP sink is closed');
    const link = await this.#connected();
    try {
      await new Promise<void>((resolve, reject) => {
        link.channel.publish(this.#exchange, event.type, Buffer.from(eventDocument(event)), {
          persistent: true,
          messageId: event.id,
          type: event.type,
          contentType: 'application/json',
          timestamp: Math.floor(event.createdAt.getTime() / 1000),
          appId: 'imgplane',
          headers: { 'x-imgplane-organization-id': event.organizationId ?? '', 'x-imgplane-aggregate-id': event.aggregateId ?? '' },
        }, (error) => (error ? reject(error instanceof Error ? error : new Error('the broker refused the message')) : resolve()));
      });
    } catch (error) {
      // The channel may be unusable now (closed by the broker, lost socket): start afresh next time.
      this.#drop(link);
      throw error;
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    const link = await this.#link?.catch(() => undefined);
    this.#link = undefined;
    await link?.connection.close().catch(() => {});
  }

  #connected(): Promise<Link> {
    this.#link ??= this.#connect().catch((error: unknown) => {
      this.#link = undefined;
      throw new Error(`cannot reach ${redactUrl(this.#url)}: ${error instanceof Error ? error.message : String(error)}`);
    });
    return this.#link;
  }

  async #connect(): Promise<Link> {
    const connection = await amqp.connect(this.#url, { timeout: this.#connectTimeoutMs });
    try {
      const channel = await connection.createConfirmChannel();
      await channel.assertExchange(this.#exchange, 'topic', { durable: true });
      const link = { connection, channel };
      this.#active = link;
      // A dropped connection or channel is noticed here, before the next publish tries it.
      const lost = () => this.#drop(link);
      connection.on('error', lost);
      connection.on('close', lost);
      channel.on('error', lost);
      channel.on('close', lost);
      return link;
    } catch (error) {
      await connection.close().catch(() => {});
      throw error;
    }
  }

  #drop(link: Link): void {
    if (this.#active === link) {
      this.#active = undefined;
      this.#link = undefined;
    }
    void link.connection.close().catch(() => {});
  }
}
