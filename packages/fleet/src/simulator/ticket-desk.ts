/**
 * The datacenter-operations ticket endpoint of the simulator. It stores what it is sent and
 * de-duplicates nothing: "one ticket per server however many alerts arrive" is the workflow's job,
 * and a desk that quietly merged tickets would hide a workflow that does not.
 */
import type { Clock } from '@weir/core';

/** What a caller sends to open a ticket. */
export interface TicketRequest {
  title: string;
  description?: string;
  /** The server concerned, when there is one. */
  host?: string;
  /** Anything else the workflow wants on the ticket (slot, serial, model, trace id). */
  fields?: Record<string, unknown>;
}

/** An opened ticket. */
export interface Ticket {
  /** `DC-000001`, in order of opening. */
  id: string;
  title: string;
  description: string;
  host: string | undefined;
  fields: Record<string, unknown>;
  status: 'open';
  openedAt: number;
}

/** An in-memory ticket queue. */
export class TicketDesk {
  private readonly tickets: Ticket[] = [];

  constructor(private readonly clock: Clock) {}

  /** Opens a ticket; always a new one. */
  open(request: TicketRequest): Ticket {
    const ticket: Ticket = {
      id: `DC-${String(this.tickets.length + 1).padStart(6, '0')}`,
      title: request.title,
      description: request.description ?? '',
      host: request.host,
      fields: { ...(request.fields ?? {}) },
      status: 'open',
      openedAt: this.clock.now(),
    };
    this.tickets.push(ticket);
    return { ...ticket, fields: { ...ticket.fields } };
  }

  /** Tickets in order of opening, optionally for one host. */
  list(filter: { host?: string } = {}): Ticket[] {
    return this.tickets.filter((t) => filter.host === undefined || t.host === filter.host).map((t) => ({ ...t, fields: { ...t.fields } }));
  }
}
