//! RPC between isolates: calls made through service bindings (`env.SVC.method(...)`) and through
//! stubs, the stubs this isolate exports (its functions and RpcTargets held elsewhere) and imports
//! (others' held here).
//!
//! A call's arguments and result cross as a [`Wire`]: structured-cloned values with no JS handles,
//! so the callee rebuilds them in its own runtime. Stubs name an object in its home isolate
//! ([`StubRef`]); calling one runs a call there, on this same thread, like a binding call.
//!
//! Stub lifetimes follow Cloudflare's: stubs received as a call's arguments are released when that
//! call returns; stubs received in results live until every request in flight when they arrived
//! has finished (and no `waitUntil` work is left), or until `stub[Symbol.dispose]()`; a stream's
//! reader lives until the stream ends. An export is freed when its last import is released or its
//! isolate goes away.

use std::collections::HashMap;
use std::rc::{Rc, Weak};

use rquickjs::{Array, Ctx, Function, Object, Persistent, Promise, Value};
use switchyard_web::wire::{StubHooks, Wire, from_wire, to_wire};

use super::{Callee, Isolate, IsolateState, MAX_CHAIN_DEPTH, restore};

pub(crate) type RpcWire = Wire<StubRef>;

/// A counted reference to a function or RpcTarget in its home isolate: cloning one counts another
/// user of the export, dropping one (an import released, a call finished, a value that was never
/// delivered) uncounts it, and the export is freed with its last reference.
pub(crate) struct StubRef {
    home: Weak<Isolate>,
    export: u64,
}

impl StubRef {
    /// The isolate the stub's target lives in, unless it is gone.
    pub(super) fn home(&self) -> Option<Rc<Isolate>> {
        self.home.upgrade()
    }
}

impl Clone for StubRef {
    fn clone(&self) -> StubRef {
        if let Some(home) = self.home.upgrade()
            && let Some(entry) = home.state.stubs.borrow_mut().exported.get_mut(&self.export)
        {
            entry.refs += 1;
        }
        StubRef {
            home: self.home.clone(),
            export: self.export,
        }
    }
}

impl Drop for StubRef {
    fn drop(&mut self) {
        let Some(home) = self.home.upgrade() else {
            return;
        };
        let freed = {
            let mut table = home.state.stubs.borrow_mut();
            match table.exported.get_mut(&self.export) {
                Some(entry) if entry.refs > 1 => {
                    entry.refs -= 1;
                    None
                }
                Some(_) => table.exported.remove(&self.export),
                None => None,
            }
        };
        // Freed outside the borrow: releasing a JS value must not happen while the table is held.
        drop(freed);
    }
}

/// A call (`args` present) or property read arriving at an isolate.
pub(crate) struct RpcCall {
    pub path: Vec<String>,
    pub args: Option<RpcWire>,
}

/// What an incoming call addresses.
pub(crate) enum CallTarget {
    /// The worker's default export, or its named entrypoint.
    Entrypoint(Option<String>),
    /// Something this isolate exported as a stub.
    Export(u64),
}

/// An isolate's answer to a request or call.
pub(crate) enum Reply {
    /// Boxed: see `Fetching`.
    Http(Box<switchyard_web::HttpResponse>),
    Value(RpcWire),
    /// The call threw or its promise rejected: the reason, for the caller to reject with.
    Threw(RpcWire),
    /// A response from the network, for `fetch()`.
    Fetched(Box<crate::outbound::Fetched>),
    /// The next chunk of a streamed body (`None` at its end), for a JS read.
    Chunk(Option<bytes::Bytes>),
    /// Whether a chunk a JS pump wrote was accepted (false: the reader is gone).
    Written(bool),
}

/// Where an outgoing call goes.
enum Outbound {
    Binding(usize),
    Stub(StubRef),
}

#[derive(Default)]
pub(super) struct StubTable {
    exported: HashMap<u64, Exported>,
    next_export: u64,
    imported: HashMap<u64, Imported>,
    next_import: u64,
}

struct Exported {
    value: Persistent<Value<'static>>,
    /// Imports (in any isolate) that refer to it.
    refs: usize,
}

struct Imported {
    stub: StubRef,
    scope: ImportScope,
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum ImportScope {
    /// An argument of incoming call (request id) `n`: released when that call completes.
    Call(u64),
    /// Released once every request with an id up to `n` has finished and no `waitUntil` work
    /// is pending.
    Requests(u64),
    /// A stream's reader: released when the stream ends or is cancelled (or disposed).
    Stream,
}

impl StubTable {
    /// Drop every export (the isolate is going away) and return the imports, to be released at
    /// their homes by dropping them.
    pub(super) fn into_imports(self) -> Vec<StubRef> {
        drop(self.exported);
        self.imported.into_values().map(|i| i.stub).collect()
    }

    pub(super) fn has_imports(&self) -> bool {
        !self.imported.is_empty()
    }

    /// Whether some isolate (maybe this one) holds a stub of something here.
    pub(super) fn has_exports(&self) -> bool {
        !self.exported.is_empty()
    }
}

impl IsolateState {
    /// Release the imports whose scope `drop_it` selects.
    pub(super) fn release_imports(&self, mut drop_it: impl FnMut(ImportScope) -> bool) {
        // Every request ends here: most never held a stub.
        if !self.stubs.borrow().has_imports() {
            return;
        }
        let released: Vec<StubRef> = {
            let mut table = self.stubs.borrow_mut();
            let ids: Vec<u64> = table
                .imported
                .iter()
                .filter(|(_, i)| drop_it(i.scope))
                .map(|(id, _)| *id)
                .collect();
            ids.into_iter()
                .filter_map(|id| table.imported.remove(&id))
                .map(|i| i.stub)
                .collect()
        };
        // Dropped outside the borrow: each drop updates its home's table.
        drop(released);
    }

    /// Release result stubs no request in flight can still use: called after each turn.
    pub(super) fn release_finished_imports(&self) {
        if !self.stubs.borrow().has_imports() || self.wait_until.get() > 0 {
            return;
        }
        let oldest = self
            .waiting
            .borrow()
            .keys()
            .min()
            .copied()
            .unwrap_or(u64::MAX);
        self.release_imports(|scope| matches!(scope, ImportScope::Requests(n) if n < oldest));
    }
}

/// The [`StubHooks`] of one isolate: exports land in its table, imports become `makeStub`
/// proxies (or the original object, when a stub comes home).
pub(super) struct Stubs<'a, 'js> {
    isolate: &'a Isolate,
    glue: Object<'js>,
    scope: ImportScope,
}

impl<'js> StubHooks<'js, StubRef> for Stubs<'_, 'js> {
    fn export(
        &mut self,
        ctx: &Ctx<'js>,
        object: Value<'js>,
        _stream: bool,
    ) -> rquickjs::Result<StubRef> {
        let state = &self.isolate.state;
        // A stub we hold for another isolate travels as the reference it stands for.
        let import: i64 = self
            .glue
            .get::<_, Function>("importIdOf")?
            .call((object.clone(),))?;
        if let Ok(import) = u64::try_from(import) {
            let forwarded = state
                .stubs
                .borrow()
                .imported
                .get(&import)
                .map(|i| i.stub.clone());
            return forwarded.ok_or_else(|| rquickjs::Exception::throw_message(ctx, STUB_DISPOSED));
        }
        let mut table = state.stubs.borrow_mut();
        table.next_export += 1;
        let export = table.next_export;
        table.exported.insert(
            export,
            Exported {
                value: Persistent::save(ctx, object),
                refs: 1,
            },
        );
        Ok(StubRef {
            home: state.me.borrow().clone(),
            export,
        })
    }

    fn import(
        &mut self,
        ctx: &Ctx<'js>,
        stub: StubRef,
        stream: bool,
    ) -> rquickjs::Result<Value<'js>> {
        let state = &self.isolate.state;
        if std::ptr::eq(stub.home.as_ptr(), self.isolate) {
            // One of our own objects came back: it is itself again, not a stub of a stub.
            let value = state
                .stubs
                .borrow()
                .exported
                .get(&stub.export)
                .map(|e| e.value.clone());
            drop(stub);
            return value
                .ok_or_else(|| rquickjs::Exception::throw_message(ctx, STUB_DISPOSED))?
                .restore(ctx);
        }
        let id = {
            let mut table = state.stubs.borrow_mut();
            table.next_import += 1;
            let id = table.next_import;
            let scope = if stream {
                ImportScope::Stream
            } else {
                self.scope
            };
            table.imported.insert(id, Imported { stub, scope });
            id
        };
        self.glue.get::<_, Function>("makeStub")?.call((id,))
    }
}

const STUB_DISPOSED: &str = "RPC stub used after being disposed.";

impl Isolate {
    pub(super) fn stubs<'a, 'js>(
        &'a self,
        glue: Object<'js>,
        scope: ImportScope,
    ) -> Stubs<'a, 'js> {
        Stubs {
            isolate: self,
            glue,
            scope,
        }
    }

    /// The scope for stubs arriving in a result now: until the requests in flight finish.
    pub(super) fn result_scope(&self) -> ImportScope {
        ImportScope::Requests(self.state.next_request.get().saturating_sub(1))
    }

    /// Serialize `value` leaving this isolate (`root` names it in errors).
    pub(super) fn value_to_wire<'js>(
        &self,
        ctx: &Ctx<'js>,
        value: Value<'js>,
        root: &str,
    ) -> rquickjs::Result<RpcWire> {
        let glue = restore(ctx, &self.state.glue)?;
        let is_target: Function = glue.get("isTarget")?;
        let scope = self.result_scope();
        to_wire(ctx, value, root, &is_target, &mut self.stubs(glue, scope))
    }

    /// Rebuild a value arriving in this isolate; stubs in it get `scope`.
    pub(super) fn value_from_wire<'js>(
        &self,
        ctx: &Ctx<'js>,
        wire: RpcWire,
        scope: ImportScope,
    ) -> rquickjs::Result<Value<'js>> {
        let glue = restore(ctx, &self.state.glue)?;
        from_wire(ctx, wire, &mut self.stubs(glue, scope))
    }

    /// The object export `id` stands for.
    pub(super) fn exported<'js>(&self, ctx: &Ctx<'js>, id: u64) -> rquickjs::Result<Value<'js>> {
        let value = self
            .state
            .stubs
            .borrow()
            .exported
            .get(&id)
            .map(|e| e.value.clone());
        value
            .ok_or_else(|| rquickjs::Exception::throw_message(ctx, STUB_DISPOSED))?
            .restore(ctx)
    }

    /// Depth of a call this isolate makes now (see `MAX_CHAIN_DEPTH`).
    pub(super) fn next_depth(&self, ctx: &Ctx<'_>) -> rquickjs::Result<u32> {
        let state = &self.state;
        // Which of this isolate's requests made the call is not tracked through promises, so take
        // the deepest one in flight (or the last to arrive): exact for a single chain, and a
        // cycle still hits the cap.
        let deepest = state
            .waiting
            .borrow()
            .values()
            .map(|waiter| waiter.depth)
            .max()
            .unwrap_or(0);
        let depth = deepest.max(state.last_depth.get()) + 1;
        if depth > MAX_CHAIN_DEPTH {
            return Err(rquickjs::Exception::throw_message(
                ctx,
                &format!(
                    "Subrequest depth limit exceeded: this request passed through more than \
                     {MAX_CHAIN_DEPTH} workers. Do service bindings call each other in a cycle?"
                ),
            ));
        }
        Ok(depth)
    }

    /// `env.SVC.a.b(...args)` or a stub call: serialize the arguments, start the call in the
    /// target isolate (see `Isolate::call_other`), and return the promise its reply settles.
    fn call_out<'js>(
        &self,
        ctx: &Ctx<'js>,
        target: Outbound,
        path: Array<'js>,
        args: Value<'js>,
    ) -> rquickjs::Result<Promise<'js>> {
        let state = &self.state;
        state.refuse_in_global_scope(ctx)?;
        let (promise, resolve, reject) = ctx.promise()?;
        let prepared = (|| {
            let depth = self.next_depth(ctx)?;
            let path = path
                .iter::<String>()
                .collect::<rquickjs::Result<Vec<_>>>()?;
            let args = if args.is_undefined() {
                None
            } else {
                Some(self.value_to_wire(ctx, args, "args")?)
            };
            Ok::<_, rquickjs::Error>((depth, RpcCall { path, args }))
        })();
        let (depth, call) = match prepared {
            Ok(prepared) => prepared,
            Err(error) if error.is_exception() => {
                // As on Cloudflare, a call never throws synchronously: a DataCloneError (or the
                // depth limit) rejects the promise.
                reject.call::<_, ()>((ctx.catch(),))?;
                return Ok(promise);
            }
            Err(error) => return Err(error),
        };
        let (callee, target) = match target {
            Outbound::Binding(binding) => {
                let binding = self.spec.config.services.get(binding).ok_or_else(|| {
                    rquickjs::Exception::throw_internal(ctx, "unknown service binding")
                })?;
                (
                    Callee::Worker(binding.service.to_string()),
                    CallTarget::Entrypoint(binding.entrypoint.clone()),
                )
            }
            Outbound::Stub(stub) => {
                let export = stub.export;
                (Callee::Stub(stub), CallTarget::Export(export))
            }
        };
        self.call_other(ctx, resolve, reject, callee, move |callee| {
            callee.begin_call(target, call, depth)
        });
        Ok(promise)
    }
}

/// The natives runtime.js uses for RPC: `rpcCall`, `stubCall`, `stubRelease`, `stubDup`.
pub(super) fn install_natives<'js>(
    ctx: &Ctx<'js>,
    native: &Object<'js>,
    state: &Rc<IsolateState>,
) -> rquickjs::Result<()> {
    let me = |ctx: &Ctx<'js>, s: &Weak<IsolateState>| -> rquickjs::Result<Rc<Isolate>> {
        s.upgrade()
            .and_then(|state| state.me.borrow().upgrade())
            .ok_or_else(|| rquickjs::Exception::throw_internal(ctx, "the isolate is gone"))
    };
    let s = Rc::downgrade(state);
    native.set(
        "rpcCall",
        Function::new(
            ctx.clone(),
            move |ctx: Ctx<'js>, binding: usize, path: Array<'js>, args: Value<'js>| {
                me(&ctx, &s)?.call_out(&ctx, Outbound::Binding(binding), path, args)
            },
        )?,
    )?;
    let s = Rc::downgrade(state);
    native.set(
        "stubCall",
        Function::new(
            ctx.clone(),
            move |ctx: Ctx<'js>, import: u64, path: Array<'js>, args: Value<'js>| {
                let isolate = me(&ctx, &s)?;
                let stub = isolate
                    .state
                    .stubs
                    .borrow()
                    .imported
                    .get(&import)
                    .map(|i| i.stub.clone());
                let stub =
                    stub.ok_or_else(|| rquickjs::Exception::throw_message(&ctx, STUB_DISPOSED))?;
                isolate.call_out(&ctx, Outbound::Stub(stub), path, args)
            },
        )?,
    )?;
    let s = Rc::downgrade(state);
    native.set(
        "stubRelease",
        Function::new(ctx.clone(), move |import: u64| {
            if let Some(state) = s.upgrade() {
                let removed = state.stubs.borrow_mut().imported.remove(&import);
                drop(removed);
            }
        })?,
    )?;
    let s = Rc::downgrade(state);
    native.set(
        "stubDup",
        Function::new(ctx.clone(), move |ctx: Ctx<'js>, import: u64| {
            let isolate = me(&ctx, &s)?;
            let scope = isolate.result_scope();
            let mut table = isolate.state.stubs.borrow_mut();
            let stub = table
                .imported
                .get(&import)
                .map(|i| i.stub.clone())
                .ok_or_else(|| rquickjs::Exception::throw_message(&ctx, STUB_DISPOSED))?;
            table.next_import += 1;
            let id = table.next_import;
            table.imported.insert(id, Imported { stub, scope });
            Ok::<_, rquickjs::Error>(id)
        })?,
    )?;
    Ok(())
}
