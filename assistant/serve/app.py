"""The HTTP API (FastAPI): routes, the token check, request size limits, CORS when configured, and errors as one
JSON shape. `create_app(service)` builds it around a `Service`; `server.run_server` runs it under uvicorn."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, StreamingResponse
from fastapi.security import HTTPBearer
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from assistant.errors import UserError
from assistant.serve.auth import check_request
from assistant.serve.errors import ApiError, bad_request, too_large
from assistant.serve.schemas import AnswerModel, ArticleModel, AskRequest, ErrorModel, UploadRequest
from assistant.serve.service import Service
from assistant.serve.streaming import answer_events, answer_once, as_api_error
from assistant.serve.uploads import Upload, check_uploads, ingest_uploads

log = logging.getLogger("assistant.serve")
SMALL_BODY_BYTES = 256 * 1024  # every request but an upload: a question, its conversation
BEARER = HTTPBearer(auto_error=False, description="ASSISTANT_API_TOKEN")  # /docs' Authorize button; checked below
ERRORS: dict[int | str, dict[str, Any]] = {code: {"model": ErrorModel} for code in (400, 401, 413, 429, 503)}


class BodyLimit:
    """413 for a body over the limit (uploads: the setting; anything else: `SMALL_BODY_BYTES`), from its declared
    length at once, else as it is read, so that no request makes the service hold more than that."""

    def __init__(self, app: ASGIApp, upload_limit: int) -> None:
        self.app = app
        self.upload_limit = upload_limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        upload = scope["method"] == "POST" and scope["path"].rstrip("/") == "/v1/articles"
        limit = self.upload_limit if upload else SMALL_BODY_BYTES
        declared = dict(scope.get("headers") or []).get(b"content-length", b"0")
        if declared.isdigit() and int(declared) > limit:
            await _send_error(send, too_large(limit))
            return
        seen = 0

        async def limited() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > limit:  # FastAPI passes its HTTPException on from reading a body, and only that
                raise HTTPException(413, too_large(limit).message)
            return message

        await self.app(scope, limited, send)


async def _send_error(send: Send, error: ApiError) -> None:
    """The error answered before the app saw the request."""
    body = error_response(error).body
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
               (b"connection", b"close"), *((k.lower().encode(), v.encode()) for k, v in error.headers.items())]
    await send({"type": "http.response.start", "status": error.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def error_response(error: ApiError) -> JSONResponse:
    return JSONResponse(error.body(), status_code=error.status, headers=error.headers)


def create_app(service: Service) -> FastAPI:
    """The API over `service` (its settings name the token, the queue, the limits and CORS)."""
    settings = service.settings
    token = settings.api_token.get_secret_value() if settings.api_token else None
    app = FastAPI(title="assistant", version="1", summary="Answers about news articles, every sentence cited "
                  "with a verbatim quote.", docs_url="/docs", redoc_url=None)
    def reader(request: Request, _: Annotated[Any, Depends(BEARER)]) -> None:
        check_request(request.headers.get("authorization"), token, write=False)

    def writer(request: Request, _: Annotated[Any, Depends(BEARER)]) -> None:
        check_request(request.headers.get("authorization"), token, write=True)

    @app.exception_handler(ApiError)
    async def api_error(_: Request, exc: ApiError) -> JSONResponse:
        return error_response(exc)

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        return error_response(bad_request(_validation_message(exc)))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed", 413: "too_large"}.get(exc.status_code, "bad_request")
        return error_response(ApiError(exc.status_code, code, str(exc.detail)))

    @app.exception_handler(Exception)
    async def unexpected(_: Request, exc: Exception) -> JSONResponse:
        return error_response(as_api_error(exc))

    @app.get("/health", summary="Ready once the models are loaded (503 until then)")
    def health() -> JSONResponse:
        status, body = service.health()
        return JSONResponse(body, status_code=status)

    @app.post("/v1/ask", summary="Answer a question (JSON, or server-sent events with Accept: text/event-stream)",
              responses={200: {"model": AnswerModel, "content": {"text/event-stream": {}}}, **ERRORS},
              dependencies=[Depends(reader)])
    async def ask(body: AskRequest, request: Request) -> Any:
        service.require_ready()
        question = await run_in_threadpool(_question, body)

        def job(cancel: Any, on_token: Callable[[str], None] | None) -> dict[str, Any]:
            return service.ask(question, body.top_k, body.lenient, cancel, on_token)

        if "text/event-stream" in request.headers.get("accept", ""):
            events = answer_events(service.admission, job)
            return StreamingResponse(events, media_type="text/event-stream",
                                     headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
        return JSONResponse(await answer_once(request, service.admission, job))

    @app.get("/v1/sources", summary="The stored articles", dependencies=[Depends(reader)])
    async def sources() -> JSONResponse:
        return JSONResponse(await run_in_threadpool(service.sources))

    @app.get("/v1/articles/{article_id}", summary="An article's text and metadata", dependencies=[Depends(reader)],
             responses={200: {"model": ArticleModel}, 404: {"model": ErrorModel}})
    async def article(article_id: str) -> JSONResponse:
        return JSONResponse(await run_in_threadpool(service.article, article_id))

    @app.post("/v1/articles", summary="Upload articles: JSON {articles: [{name, text}]}, or one file as the body "
              "with ?name=FILE", dependencies=[Depends(writer)],
              responses={200: {"content": {"application/json": {}}}, **ERRORS},
              openapi_extra={"requestBody": {"content": {
                  "application/json": {"schema": UploadRequest.model_json_schema()},
                  "text/plain": {"schema": {"type": "string"}}, "text/html": {"schema": {"type": "string"}},
                  "text/markdown": {"schema": {"type": "string"}}}}})
    async def upload(request: Request, name: str | None = None) -> JSONResponse:
        session = service.require_ready()
        uploads = await _read_uploads(request, name)
        await run_in_threadpool(check_uploads, uploads)
        report = await _on_model_thread(service, lambda: ingest_uploads(session, settings, uploads))
        return JSONResponse(report)

    @app.delete("/v1/articles/{article_id}", summary="Remove an article", dependencies=[Depends(writer)],
                responses={404: {"model": ErrorModel}, **ERRORS})
    async def delete(article_id: str) -> JSONResponse:
        service.require_ready()
        return JSONResponse(await _on_model_thread(service, lambda: service.delete(article_id)))

    app.add_middleware(BodyLimit, upload_limit=settings.serve_max_body_bytes)
    origins = [o.strip() for o in settings.cors_origins.split(",") if o.strip()]
    if origins:
        from fastapi.middleware.cors import CORSMiddleware

        app.add_middleware(CORSMiddleware, allow_origins=origins, allow_methods=["GET", "POST", "DELETE"],
                           allow_headers=["Authorization", "Content-Type", "Accept"])
    return app


def _question(body: AskRequest) -> str:
    """The question cleaned as `ask` cleans it; a follow-up rewritten with the conversation's questions and, when
    given, their answers."""
    from assistant.serve.questions import clean_question

    try:
        question = clean_question(body.question)
        if body.conversation:
            from assistant.chat import Exchange, rewrite

            history = [" ".join(t.split()) if isinstance(t, str) else
                       Exchange.from_text(" ".join(t.question.split()), t.answer) for t in body.conversation]
            question = clean_question(rewrite(question, history))
    except UserError as exc:
        raise bad_request(str(exc)) from None
    return question


async def _read_uploads(request: Request, name: str | None) -> list[Upload]:
    """The articles of an upload request: a JSON `UploadRequest`, or one file as the raw body named by `name`."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    body = await request.body()
    if kind == "application/json":
        from pydantic import ValidationError

        try:
            parsed = UploadRequest.model_validate_json(body)
        except ValidationError as exc:
            raise bad_request(_validation_message(exc)) from None
        return [Upload(a.name, a.text.encode("utf-8")) for a in parsed.articles]
    if not name:
        raise bad_request("name the file: POST /v1/articles?name=report.html with the file as the body, or send "
                          'JSON {"articles": [{"name": ..., "text": ...}]}')
    return [Upload(name, body)]


async def _on_model_thread(service: Service, work: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """`work()` on the model's thread, through the queue (429 when full): writes use the embedding model and the
    keyword index, which questions use too."""
    import asyncio

    future, _ = service.admission.submit(lambda cancel: work())
    try:
        return await asyncio.wrap_future(future)
    except Exception as exc:
        raise as_api_error(exc) from None


def _validation_message(exc: Any) -> str:
    """The first problem of a request that does not fit its schema, without echoing what was sent."""
    errors = exc.errors()
    if not errors:
        return "the request does not fit the API"
    # A value that fits neither member of a union (a conversation turn: a string or {question, answer}) has an
    # error per member, tagged with the member's name; the deepest says most ("question: Field required").
    first = max(errors, key=lambda e: len(e.get("loc", ())))
    where = ".".join(str(p) for p in first.get("loc", ()) if p not in ("body", *_UNION_TAGS))
    return f"{where or 'body'}: {first.get('msg', 'invalid')}"


_UNION_TAGS = ("str", "Turn")
