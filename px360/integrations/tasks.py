"""Queue entry points: ids in, services do the work."""

from .services import event_process


def process_inbound_event(event_id: str) -> str:
    return event_process(event_id=event_id).status
