"""The Python server of `cargo xtask bench-load`: the bench/orders.yaml contract on python-socketio 5, FastAPI,
Pydantic 2 and uvicorn. `python server.py PORT` serves on 127.0.0.1:PORT; `GET /healthz` answers 200. No
access log (the other servers log nothing per request either)."""

import sys
from typing import Literal

import socketio
import uvicorn
from fastapi import FastAPI
from pydantic import BaseModel, ConfigDict, Field, ValidationError


class PlaceOrder(BaseModel):
    """`place-order`'s payload: the schema of bench/orders.yaml (strict: no coercion of "5" to 5)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    clientOrderId: str = Field(min_length=1, max_length=64)
    symbol: str = Field(pattern=r"^[A-Z]{3,6}$")
    side: Literal["buy", "sell"]
    quantity: int = Field(ge=1, le=1_000_000)
    price: float = Field(gt=0, le=1_000_000_000)


sio = socketio.AsyncServer(async_mode="asgi", cors_allowed_origins=[])
api = FastAPI()


@api.get("/healthz")
async def healthz() -> str:
    return "ok"


@sio.on("place-order", namespace="/orders")
async def place_order(sid, data):
    try:
        order = PlaceOrder.model_validate(data)
    except ValidationError as error:
        details = [
            {"path": "/" + "/".join(str(part) for part in e["loc"]), "message": e["msg"]}
            for e in error.errors(include_url=False)
        ]
        first = details[0]
        return {
            "error": {
                "code": "validation_failed",
                "message": f"invalid payload for `place-order`: {first['path']}: {first['message']}",
                "details": details,
            }
        }
    return {"clientOrderId": order.clientOrderId, "status": "accepted"}


# The namespace must be known to accept connections to it.
@sio.on("connect", namespace="/orders")
async def connect(sid, environ):
    return True


app = socketio.ASGIApp(sio, other_asgi_app=api)

if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning", access_log=False)
