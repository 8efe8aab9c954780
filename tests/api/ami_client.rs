//! The AMI client against the AMI test server (no database involved).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::ami_server::{AmiServer, Channel, Endpoint, Queue, QueueMember};
use bytes::BytesMut;
use switchboard::ami::{
    check, Action, AmiCodec, AmiError, AuthMethod, Client, Frame, Limits, Message, NodeConfig,
};
use tokio_util::codec::Decoder;

const WAIT: Duration = Duration::from_secs(5);

async fn connected(server: &AmiServer) -> Client {
    let client = Client::spawn(server.node_config("n1"));
    assert!(client.wait_connected(WAIT).await, "client did not connect");
    client
}

/// Wait until `cond` holds (polling), up to 5 s.
async fn eventually(what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + WAIT;
    while !cond() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for: {what}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

fn decode_all(codec: &mut AmiCodec, bytes: &[u8]) -> Result<Vec<Frame>, AmiError> {
    let mut buf = BytesMut::from(bytes);
    let mut frames = Vec::new();
    while let Some(f) = codec.decode(&mut buf)? {
        frames.push(f);
    }
    Ok(frames)
}

fn message(frame: &Frame) -> &Message {
    match frame {
        Frame::Message(m) => m,
        Frame::Banner(b) => panic!("expected a message, got banner {b}"),
    }
}

// ----- codec -----

#[test]
fn codec_reads_banner_crlf_bare_lf_and_repeated_headers() {
    let mut codec = AmiCodec::client(Limits::default());
    let wire = b"Asterisk Call Manager/11.0.0\r\n\
        Response: Success\r\nActionID: a-1\r\nMessage: Authentication accepted\r\n\r\n\
        Event: Newchannel\nChannel: PJSIP/100-00000001\nTransport: \n\n\
        Response: Success\r\nActionID: c-1\r\nOutput: line one\r\nOutput: line two\nOutput:   indented\r\n\r\n";
    let frames = decode_all(&mut codec, wire).unwrap();
    assert_eq!(frames.len(), 4);
    assert_eq!(
        frames[0],
        Frame::Banner("Asterisk Call Manager/11.0.0".into())
    );
    let login = message(&frames[1]);
    assert_eq!(login.response(), Some("Success"));
    assert_eq!(
        login.get("actionid"),
        Some("a-1"),
        "names are case-insensitive"
    );
    let event = message(&frames[2]);
    assert_eq!(event.event(), Some("Newchannel"));
    assert_eq!(event.get("Channel"), Some("PJSIP/100-00000001"));
    assert_eq!(event.get("Transport"), Some(""), "empty values are kept");
    let cmd = message(&frames[3]);
    assert_eq!(
        cmd.get_all("Output").collect::<Vec<_>>(),
        ["line one", "line two", "indented"],
        "repeated headers are kept in order"
    );
    let order: Vec<&str> = cmd.iter().map(|(k, _)| k).collect();
    assert_eq!(
        order,
        ["Response", "ActionID", "Output", "Output", "Output"]
    );
}

#[test]
fn codec_waits_for_the_empty_line_across_chunks() {
    let mut codec = AmiCodec::client(Limits::default());
    let mut buf = BytesMut::from(&b"Asterisk Call Manager/11.0.0\r\nEvent: Hang"[..]);
    assert!(matches!(
        codec.decode(&mut buf).unwrap(),
        Some(Frame::Banner(_))
    ));
    assert_eq!(codec.decode(&mut buf).unwrap(), None);
    buf.extend_from_slice(b"up\r\nCause: 16\r");
    assert_eq!(codec.decode(&mut buf).unwrap(), None);
    buf.extend_from_slice(b"\n\r\n");
    let frame = codec.decode(&mut buf).unwrap().expect("a frame");
    assert_eq!(message(&frame).get("Cause"), Some("16"));
    assert_eq!(message(&frame).event(), Some("Hangup"));
}

#[test]
fn codec_parses_old_style_command_output() {
    let mut codec = AmiCodec::server(Limits::default());
    let wire = b"Response: Follows\r\nPrivilege: Command\r\nActionID: cmd-1\r\n\
        Channel              Location\nPJSIP/100-0001       100@ctx:1\nKey: looks like a header\n\n\
        2 active channels\n--END COMMAND--\r\n\r\n\
        Response: Follows\r\nActionID: cmd-2\r\nno newline before the end--END COMMAND--\r\n\r\n\
        Event: After\r\n\r\n";
    let frames = decode_all(&mut codec, wire).unwrap();
    assert_eq!(frames.len(), 3);
    let first = message(&frames[0]);
    assert_eq!(first.action_id(), Some("cmd-1"));
    assert_eq!(first.get("Privilege"), Some("Command"));
    assert_eq!(
        first.get_all("Output").collect::<Vec<_>>(),
        [
            "Channel              Location",
            "PJSIP/100-0001       100@ctx:1",
            "Key: looks like a header",
            "",
            "2 active channels"
        ]
    );
    assert_eq!(
        message(&frames[1]).get_all("Output").collect::<Vec<_>>(),
        ["no newline before the end"]
    );
    assert_eq!(message(&frames[2]).event(), Some("After"));
}

#[test]
fn codec_refuses_oversize_frames_and_too_many_headers() {
    let limits = Limits {
        max_frame_bytes: 256,
        max_headers: 8,
    };
    // One endless line (no newline yet) is refused before it is complete.
    let mut codec = AmiCodec::server(limits);
    let long = format!("Event: {}", "x".repeat(300));
    assert_eq!(
        decode_all(&mut codec, long.as_bytes()),
        Err(AmiError::TooLarge)
    );
    // Many short lines adding up past the frame limit.
    let mut codec = AmiCodec::server(Limits {
        max_frame_bytes: 256,
        max_headers: 1000,
    });
    let many: String = (0..40).map(|i| format!("H{i}: v\r\n")).collect();
    assert_eq!(
        decode_all(&mut codec, many.as_bytes()),
        Err(AmiError::TooLarge)
    );
    // Too many headers in a small frame.
    let mut codec = AmiCodec::server(limits);
    let headers: String = (0..9).map(|i| format!("H{i}: v\n")).collect();
    assert_eq!(
        decode_all(&mut codec, headers.as_bytes()),
        Err(AmiError::TooLarge)
    );
    // At the limits exactly it is fine.
    let mut codec = AmiCodec::server(limits);
    let ok: String = (0..8).map(|i| format!("H{i}: v\n")).collect::<String>() + "\n";
    assert_eq!(decode_all(&mut codec, ok.as_bytes()).unwrap().len(), 1);
}

#[test]
fn written_actions_cannot_carry_line_breaks() {
    let action = Action::new("Originate")
        .header(
            "Channel",
            "PJSIP/100\r\nAction: Hangup\r\n\r\nAction: Logoff",
        )
        .header("Bad\r\nName: x", "v")
        .header("ActionID", "mine");
    let mut out = Vec::new();
    action.message().write_wire(&mut out);
    let text = String::from_utf8(out).unwrap();
    assert_eq!(
        text,
        "Action: Originate\r\nChannel: PJSIP/100  Action: Hangup    Action: Logoff\r\nBadNamex: v\r\nActionID: mine\r\n\r\n"
    );
}

#[test]
fn actions_from_stored_parts_keep_order_and_repeats() {
    let stored = vec![
        ("Channel", "PJSIP/100-ACME"),
        ("Variable", "A=1"),
        ("Variable", "B=2"),
    ];
    let action = Action::from_parts("Originate", stored);
    let built = Action::new("Originate")
        .header("Channel", "PJSIP/100-ACME")
        .header("Variable", "A=1")
        .header("Variable", "B=2");
    assert_eq!(action, built);
    assert_eq!(action.name(), "Originate");
}

#[test]
fn codec_reads_a_long_line_arriving_in_small_pieces() {
    let mut codec = AmiCodec::server(Limits::default());
    let value = "v".repeat(100_000);
    let wire = format!("Action: Setvar\r\nValue: {value}\r\n\r\n");
    let mut buf = BytesMut::new();
    let mut frames = Vec::new();
    for chunk in wire.as_bytes().chunks(7) {
        buf.extend_from_slice(chunk);
        while let Some(f) = codec.decode(&mut buf).unwrap() {
            frames.push(f);
        }
    }
    assert_eq!(frames.len(), 1);
    assert_eq!(
        message(&frames[0]).get("Value").map(str::len),
        Some(100_000)
    );
}

// ----- login -----

#[tokio::test]
async fn md5_login_never_sends_the_secret() {
    let server = AmiServer::start().await;
    let client = connected(&server).await;
    let got = server.received();
    assert_eq!(got[0].action, "Challenge");
    assert_eq!(got[0].get("AuthType"), Some("md5"));
    assert_eq!(got[1].action, "Login");
    assert_eq!(got[1].get("AuthType"), Some("md5"));
    assert_eq!(got[1].get("Key").map(str::len), Some(32));
    assert!(got[1].get("Secret").is_none());
    let info = client.info().expect("node info after login");
    assert_eq!(info.ami_version, "11.0.0");
    assert_eq!(info.asterisk_version, "22.10.1");
    assert_eq!(server.logins(), 1);
    client.shutdown();
}

#[tokio::test]
async fn plain_login_and_events_off() {
    let server = AmiServer::start().await;
    let mut cfg = server.node_config("plain");
    cfg.auth = AuthMethod::Plain;
    cfg.events = false;
    let client = Client::spawn(cfg);
    assert!(client.wait_connected(WAIT).await);
    let login = &server.received_named("Login")[0];
    assert_eq!(login.get("Secret"), Some(crate::ami_server::SECRET));
    assert_eq!(login.get("Events"), Some("off"));
    assert!(server.received_named("Challenge").is_empty());
    let pong = client.send(Action::new("Ping")).await.unwrap();
    assert_eq!(pong.get("Ping"), Some("Pong"));
    client.shutdown();
}

#[tokio::test]
async fn refused_login_never_connects_and_check_says_why() {
    let server = AmiServer::start().await;
    server.refuse_logins(true);
    let client = Client::spawn(server.node_config("n1"));
    assert!(!client.wait_connected(Duration::from_millis(300)).await);
    assert_eq!(
        client.send(Action::new("Ping")).await,
        Err(AmiError::NotConnected)
    );
    // It keeps trying (with back-off), and each failed login was closed by the server.
    eventually("several attempts", || server.connections() >= 2).await;
    assert_eq!(server.logins(), 0);
    assert_eq!(
        check(&server.node_config("n1")).await,
        Err(AmiError::Auth("Authentication failed".into()))
    );
    // Once the node accepts again, the client gets in by itself.
    server.refuse_logins(false);
    assert!(client.wait_connected(WAIT).await);
    client.shutdown();
}

#[tokio::test]
async fn wrong_secret_is_an_auth_error_for_both_styles() {
    let server = AmiServer::start().await;
    for auth in [AuthMethod::Md5, AuthMethod::Plain] {
        let mut cfg = server.node_config("n1");
        cfg.secret = "not-the-secret".into();
        cfg.auth = auth;
        assert_eq!(
            check(&cfg).await,
            Err(AmiError::Auth("Authentication failed".into()))
        );
    }
}

#[tokio::test]
async fn check_reports_version_and_missing_privileges() {
    let server = AmiServer::start().await;
    let report = check(&server.node_config("n1")).await.unwrap();
    assert_eq!(report.info.asterisk_version, "22.10.1");
    assert!(report.missing.is_empty(), "{:?}", report.missing);
    server.deny_actions(&["Originate", "DBPut"]);
    let report = check(&server.node_config("n1")).await.unwrap();
    assert_eq!(report.missing, ["Originate", "DBPut"]);
    assert_eq!(server.received_named("Logoff").len(), 2);
}

// ----- the test server itself -----

/// Reads up to and including `end` from a raw socket ("" at EOF).
async fn read_until(stream: &mut tokio::net::TcpStream, buf: &mut Vec<u8>, end: &str) -> String {
    use tokio::io::AsyncReadExt;
    loop {
        if let Some(i) = buf.windows(end.len()).position(|w| w == end.as_bytes()) {
            let frame: Vec<u8> = buf.drain(..i + end.len()).collect();
            return String::from_utf8(frame).unwrap();
        }
        let mut chunk = [0u8; 4096];
        let n = tokio::time::timeout(WAIT, stream.read(&mut chunk))
            .await
            .unwrap()
            .unwrap();
        if n == 0 {
            return String::new();
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

#[tokio::test]
async fn the_test_server_answers_byte_for_byte_as_recorded() {
    use tokio::io::AsyncWriteExt;
    let server = AmiServer::start().await;
    let mut s = tokio::net::TcpStream::connect(server.addr()).await.unwrap();
    let mut buf = Vec::new();
    assert_eq!(
        read_until(&mut s, &mut buf, "\r\n").await,
        "Asterisk Call Manager/11.0.0\r\n"
    );
    let exchanges = [
        (
            "Action: Ping\r\nActionID: nl-1\r\n\r\n",
            "Response: Error\r\nActionID: nl-1\r\nMessage: Permission denied\r\n\r\n",
        ),
        (
            "Action: Login\r\nUsername: admin\r\nSecret: amp111\r\nEvents: off\r\nActionID: l-1\r\n\r\n",
            "Response: Success\r\nActionID: l-1\r\nMessage: Authentication accepted\r\n\r\n",
        ),
        (
            "Action: DBGet\r\nFamily: DND\r\nKey: 100\r\nActionID: dbg-2\r\n\r\n",
            "Response: Error\r\nActionID: dbg-2\r\nMessage: Database entry not found\r\n\r\n",
        ),
        (
            "Action: Command\r\nCommand: core show channels concise\r\nActionID: cmd-1b\r\n\r\n",
            "Response: Success\r\nActionID: cmd-1b\r\nMessage: Command output follows\r\n\r\n",
        ),
        (
            "Action: Logoff\r\nActionID: bye\r\n\r\n",
            "Response: Goodbye\r\nActionID: bye\r\nMessage: Thanks for all the fish.\r\n\r\n",
        ),
    ];
    for (sent, expected) in exchanges {
        s.write_all(sent.as_bytes()).await.unwrap();
        assert_eq!(read_until(&mut s, &mut buf, "\r\n\r\n").await, expected);
    }
    assert_eq!(
        read_until(&mut s, &mut buf, "\r\n").await,
        "",
        "closed after Goodbye"
    );

    let mut s = tokio::net::TcpStream::connect(server.addr()).await.unwrap();
    let mut buf = Vec::new();
    read_until(&mut s, &mut buf, "\r\n").await;
    s.write_all(b"Action: Login\r\nUsername: admin\r\nSecret: wrong\r\nActionID: bad-1\r\n\r\n")
        .await
        .unwrap();
    assert_eq!(
        read_until(&mut s, &mut buf, "\r\n\r\n").await,
        "Response: Error\r\nActionID: bad-1\r\nMessage: Authentication failed\r\n\r\n"
    );
    assert_eq!(
        read_until(&mut s, &mut buf, "\r\n").await,
        "",
        "closed after a failed login"
    );
}

// ----- actions -----

#[tokio::test]
async fn parallel_sends_get_their_own_answers() {
    let server = AmiServer::start().await;
    let client = connected(&server).await;
    for i in 0..200 {
        server
            .state()
            .astdb
            .insert(("fam".into(), format!("k{i}")), format!("value-{i}"));
    }
    // Unrelated events interleave with the answers.
    let noise = {
        let server = server.clone();
        tokio::spawn(async move {
            for i in 0..100 {
                server.emit(&[("Event", "VarSet"), ("Value", &i.to_string())]);
                tokio::task::yield_now().await;
            }
        })
    };
    let tasks: Vec<_> = (0..200)
        .map(|i| {
            let client = client.clone();
            tokio::spawn(async move {
                let r = client
                    .send(
                        Action::new("DBGet")
                            .header("Family", "fam")
                            .header("Key", format!("k{i}")),
                    )
                    .await
                    .unwrap();
                assert_eq!(r.events.len(), 1);
                assert_eq!(r.events[0].get("Val"), Some(format!("value-{i}").as_str()));
                r.action_id().to_string()
            })
        })
        .collect();
    let mut ids = Vec::new();
    for t in tasks {
        ids.push(t.await.unwrap());
    }
    noise.await.unwrap();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 200, "every action had its own ActionID");
    client.shutdown();
}

#[tokio::test]
async fn list_actions_are_collected_until_complete() {
    let server = AmiServer::start().await;
    {
        let mut st = server.state();
        st.channels.push(Channel::new(
            "PJSIP/100-ACME-00000001",
            "from-internal",
            "200",
        ));
        st.channels.push(Channel::new(
            "PJSIP/101-ACME-00000002",
            "from-internal",
            "201",
        ));
        st.queues.insert(
            "9200".into(),
            Queue {
                members: vec![QueueMember {
                    interface: "Local/101@from-internal".into(),
                    name: "Agent101".into(),
                    status: 1,
                    ..Default::default()
                }],
                ..Default::default()
            },
        );
        for name in ["6001", "6002"] {
            st.endpoints.push(Endpoint {
                name: name.into(),
                aor: name.into(),
                device_state: "Unavailable".into(),
                ..Default::default()
            });
        }
    }
    let client = connected(&server).await;
    let mut events = client.events();

    let chans = client.send(Action::new("CoreShowChannels")).await.unwrap();
    let names: Vec<_> = chans
        .events
        .iter()
        .map(|e| e.get("Channel").unwrap())
        .collect();
    assert_eq!(
        names,
        ["PJSIP/100-ACME-00000001", "PJSIP/101-ACME-00000002"]
    );
    assert!(chans
        .events
        .iter()
        .all(|e| e.event() == Some("CoreShowChannel")));
    let complete = chans.complete.as_ref().unwrap();
    assert_eq!(complete.event(), Some("CoreShowChannelsComplete"));
    assert_eq!(complete.get("ListItems"), Some("2"));

    let qs = client
        .send(Action::new("QueueStatus").header("Queue", "9200"))
        .await
        .unwrap();
    let kinds: Vec<_> = qs.events.iter().map(|e| e.event().unwrap()).collect();
    assert_eq!(kinds, ["QueueParams", "QueueMember"]);
    assert_eq!(qs.events[1].get("Name"), Some("Agent101"));

    let eps = client
        .send(Action::new("PJSIPShowEndpoints"))
        .await
        .unwrap();
    assert_eq!(eps.events.len(), 2);
    assert_eq!(eps.events[1].get("ObjectName"), Some("6002"));

    // An empty list is a list too.
    server.state().channels.clear();
    let none = client.send(Action::new("CoreShowChannels")).await.unwrap();
    assert!(none.events.is_empty());
    assert_eq!(none.complete.unwrap().get("ListItems"), Some("0"));

    // List items are answers, not events for subscribers.
    server.emit(&[("Event", "Marker")]);
    let first = tokio::time::timeout(WAIT, events.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(first.event(), Some("Marker"));
    client.shutdown();
}

#[tokio::test]
async fn a_list_longer_than_the_cap_is_refused_and_the_link_stays_usable() {
    let server = AmiServer::start().await;
    for i in 0..5 {
        server.state().endpoints.push(Endpoint {
            name: format!("60{i}"),
            ..Default::default()
        });
    }
    let mut cfg = server.node_config("n1");
    cfg.max_list_items = 3;
    let client = Client::spawn(cfg);
    assert!(client.wait_connected(WAIT).await);
    assert_eq!(
        client.send(Action::new("PJSIPShowEndpoints")).await,
        Err(AmiError::TooLarge)
    );
    assert!(client.send(Action::new("Ping")).await.is_ok());
    assert!(client.is_connected());
    client.shutdown();
}

#[tokio::test]
async fn command_output_parses_in_both_styles() {
    let server = AmiServer::start().await;
    server.state().channels.push(Channel::new(
        "PJSIP/100-ACME-00000001",
        "from-internal",
        "200",
    ));
    server.state().commands.insert(
        "pjsip show version".into(),
        vec!["PJPROJECT version currently running against: 2.14".into()],
    );
    let client = connected(&server).await;
    let cmd = |c: &str| Action::new("Command").header("Command", c);

    let new = client.send(cmd("core show channels")).await.unwrap();
    assert_eq!(new.get("Message"), Some("Command output follows"));
    assert_eq!(new.output.len(), 5);
    assert!(new.output[1].starts_with("PJSIP/100-ACME-00000001"));
    assert_eq!(new.output[2], "1 active channels");

    server.old_command_style(true);
    let old = client.send(cmd("core show channels")).await.unwrap();
    assert_eq!(old.get("Response"), Some("Follows"));
    assert_eq!(old.output, new.output, "both styles give the same lines");
    let seeded = client.send(cmd("pjsip show version")).await.unwrap();
    assert_eq!(
        seeded.output,
        ["PJPROJECT version currently running against: 2.14"]
    );
    assert!(server
        .received_named("Command")
        .iter()
        .all(|r| r.get("ActionID").is_some()));

    server.old_command_style(false);
    match client.send(cmd("no such command here")).await {
        Err(AmiError::Refused(text)) => {
            assert!(
                text.contains("No such command 'no such command here'"),
                "{text}"
            )
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    client.shutdown();
}

#[tokio::test]
async fn error_responses_carry_the_node_text() {
    let server = AmiServer::start().await;
    server
        .state()
        .queues
        .insert("9200".into(), Queue::default());
    let client = connected(&server).await;
    let refused = |r: Result<_, AmiError>| match r {
        Err(AmiError::Refused(t)) => t,
        other => panic!("expected a refusal, got {other:?}"),
    };
    assert_eq!(
        refused(
            client
                .send(Action::new("Hangup").header("Channel", "Local/nonexistent-00000000;1"))
                .await
        ),
        "No such channel"
    );
    assert_eq!(
        refused(client.send(Action::new("NoSuchAction")).await),
        "Invalid/unknown command: NoSuchAction. Use Action: ListCommands to show available commands."
    );
    assert_eq!(
        refused(
            client
                .send(
                    Action::new("DBGet")
                        .header("Family", "DND")
                        .header("Key", "100")
                )
                .await
        ),
        "Database entry not found"
    );
    let add = || {
        Action::new("QueueAdd")
            .header("Queue", "9200")
            .header("Interface", "Local/101@from-internal")
    };
    assert!(client.send(add()).await.is_ok());
    assert_eq!(
        refused(client.send(add()).await),
        "Unable to add interface: Already there"
    );
    server.fail_action("Reload", "No such module");
    assert_eq!(
        refused(client.send(Action::new("Reload")).await),
        "No such module"
    );
    client.shutdown();
}

#[tokio::test]
async fn events_reach_every_subscriber() {
    let server = AmiServer::start().await;
    let client = connected(&server).await;
    let mut a = client.events();
    let mut b = client.clone().events();
    server.emit(&[
        ("Event", "Cdr"),
        ("Source", "5551234"),
        ("Destination", "200"),
        ("Disposition", "ANSWERED"),
    ]);
    for rx in [&mut a, &mut b] {
        let e = tokio::time::timeout(WAIT, rx.recv())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(e.event(), Some("Cdr"));
        assert_eq!(e.get("Destination"), Some("200"));
    }
    // Bare-\n events from an old PBX arrive too.
    server.emit_raw(b"Event: ExtensionStatus\nExten: 100\nStatus: 1\n\n");
    let e = tokio::time::timeout(WAIT, a.recv()).await.unwrap().unwrap();
    assert_eq!(
        (e.event(), e.get("Status")),
        (Some("ExtensionStatus"), Some("1"))
    );
    client.shutdown();
}

// ----- originate -----

#[tokio::test]
async fn originate_waits_for_its_originate_response() {
    let server = AmiServer::start().await;
    let client = connected(&server).await;
    let call = Action::new("Originate")
        .header("Channel", "Local/100@from-internal")
        .header("Context", "from-internal")
        .header("Exten", "200")
        .header("Priority", "1")
        .header("Variable", "PROBE=1")
        .header("Variable", "TENANT=ACME");
    let done = client.originate(call.clone(), WAIT).await.unwrap();
    assert!(done.is_success());
    assert_eq!(done.reason(), Some(4));
    assert_eq!(
        done.response.get("Message"),
        Some("Originate successfully queued")
    );
    assert!(done
        .channel()
        .unwrap()
        .starts_with("Local/100@from-internal-"));
    let sent = &server.received_named("Originate")[0];
    assert_eq!(sent.get("Async"), Some("true"));
    assert_eq!(
        sent.get_all("Variable"),
        ["PROBE=1", "TENANT=ACME"],
        "repeated headers are written"
    );

    // A failed call is an outcome, not an error.
    let failed = client
        .originate(
            Action::new("Originate")
                .header("Channel", "Local/100@nosuchcontext")
                .header("Exten", "200"),
            WAIT,
        )
        .await
        .unwrap();
    assert!(!failed.is_success());
    assert_eq!(failed.reason(), Some(0));

    // Plain `send` returns at the response; the event reaches subscribers with the same ActionID.
    let mut events = client.events();
    let queued = client.send(call.header("Async", "true")).await.unwrap();
    let id = queued.action_id().to_string();
    loop {
        let e = tokio::time::timeout(WAIT, events.recv())
            .await
            .unwrap()
            .unwrap();
        if e.event() == Some("OriginateResponse") {
            assert_eq!(e.action_id(), Some(id.as_str()));
            break;
        }
    }

    // No OriginateResponse in time: a timeout, not a guess.
    server.silent_originate(true);
    let silent = client
        .originate(
            Action::new("Originate").header("Channel", "Local/1@x"),
            Duration::from_millis(200),
        )
        .await;
    assert_eq!(silent, Err(AmiError::Timeout));
    client.shutdown();
}

#[tokio::test]
async fn a_link_lost_after_writing_is_outcome_unknown_and_never_resent() {
    let server = AmiServer::start().await;
    let client = connected(&server).await;
    server.drop_next("Originate");
    let call = Action::new("Originate")
        .header("Channel", "PJSIP/100-ACME")
        .header("Context", "from-internal")
        .header("Exten", "200")
        .header("Async", "true");
    assert_eq!(
        client.send(call.clone()).await,
        Err(AmiError::OutcomeUnknown)
    );
    // The client reconnects, and nothing is replayed.
    eventually("second login", || server.logins() >= 2).await;
    assert!(client.wait_connected(WAIT).await);
    assert!(client.send(Action::new("Ping")).await.is_ok());
    assert_eq!(
        server.received_named("Originate").len(),
        1,
        "the Originate was written exactly once"
    );
    // The same for the originate helper.
    server.drop_next("Originate");
    assert_eq!(
        client.originate(call, WAIT).await,
        Err(AmiError::OutcomeUnknown)
    );
    eventually("third login", || server.logins() >= 3).await;
    assert!(client.send(Action::new("Ping")).await.is_ok());
    assert_eq!(server.received_named("Originate").len(), 2);
    client.shutdown();
}

// ----- timeouts, keep-alive, reconnect -----

#[tokio::test]
async fn a_slow_answer_times_out_and_the_late_answer_is_ignored() {
    let server = AmiServer::start().await;
    let client = connected(&server).await;
    server.set_delay(Duration::from_millis(300));
    let slow = client
        .send_with_timeout(Action::new("Ping"), Duration::from_millis(50))
        .await;
    assert_eq!(slow, Err(AmiError::Timeout));
    server.set_delay(Duration::ZERO);
    server.state().globals.insert("X".into(), "42".into());
    let r = client
        .send(Action::new("Getvar").header("Variable", "X"))
        .await
        .unwrap();
    assert_eq!(
        r.get("Value"),
        Some("42"),
        "the late Pong was not taken for this answer"
    );
    assert!(client.is_connected());
    client.shutdown();
}

#[tokio::test]
async fn keep_alive_pings_and_drops_a_dead_link() {
    let server = AmiServer::start().await;
    let mut cfg = server.node_config("n1");
    cfg.ping_interval = Duration::from_millis(50);
    let client = Client::spawn(cfg);
    assert!(client.wait_connected(WAIT).await);
    eventually("pings", || server.received_named("Ping").len() >= 2).await;
    assert_eq!(server.connections(), 1);
    // A node that stops answering is given up on and dialled again.
    server.set_delay(Duration::from_secs(2));
    eventually("reconnect", || server.connections() >= 2).await;
    server.set_delay(Duration::ZERO);
    client.shutdown();
}

#[tokio::test]
async fn the_client_reconnects_when_the_node_comes_back() {
    let server = AmiServer::start().await;
    let client = connected(&server).await;
    let mut events = client.events();
    server.go_away().await;
    eventually("disconnected", || !client.is_connected()).await;
    assert_eq!(
        client.send(Action::new("Ping")).await,
        Err(AmiError::NotConnected)
    );
    tokio::time::sleep(Duration::from_millis(100)).await;
    server.come_back().await;
    assert!(client.wait_connected(WAIT).await, "reconnected");
    assert_eq!(server.logins(), 2);
    assert!(client.send(Action::new("Ping")).await.is_ok());
    // Events flow again on the new link (FullyBooted of the new login comes first).
    server.emit(&[("Event", "AfterComeback")]);
    loop {
        let e = tokio::time::timeout(WAIT, events.recv())
            .await
            .unwrap()
            .unwrap();
        if e.event() == Some("AfterComeback") {
            break;
        }
    }
    client.shutdown();
}

#[tokio::test]
async fn shutdown_logs_off_and_stops() {
    let server = AmiServer::start().await;
    let client = connected(&server).await;
    client.shutdown();
    eventually("disconnected", || !client.is_connected()).await;
    eventually("logoff", || server.received_named("Logoff").len() == 1).await;
    assert_eq!(
        client.send(Action::new("Ping")).await,
        Err(AmiError::NotConnected)
    );
}

#[tokio::test]
async fn several_nodes_are_independent() {
    let servers = AmiServer::start_many(3).await;
    let clients: Vec<Client> = servers
        .iter()
        .enumerate()
        .map(|(i, s)| Client::spawn(s.node_config(&format!("n{i}"))))
        .collect();
    for c in &clients {
        assert!(c.wait_connected(WAIT).await);
    }
    servers[1].go_away().await;
    eventually("n1 down", || !clients[1].is_connected()).await;
    assert!(clients[0].send(Action::new("Ping")).await.is_ok());
    assert!(clients[2].send(Action::new("Ping")).await.is_ok());
    for c in &clients {
        c.shutdown();
    }
}

// ----- security -----

#[tokio::test]
async fn header_injection_reaches_the_node_as_one_harmless_header() {
    let server = AmiServer::start().await;
    let client = connected(&server).await;
    server.state().globals.insert("X".into(), "1".into());
    let evil = Action::new("Getvar")
        .header(
            "Variable",
            "X\r\nAction: Hangup\r\nChannel: PJSIP/100-ACME-00000001\r\n\r\nAction: Logoff",
        )
        .header("Evil\r\n\r\nAction: Logoff\r\nX", "y");
    let r = client.send(evil).await.unwrap();
    let actions: Vec<String> = server.received().iter().map(|r| r.action.clone()).collect();
    assert_eq!(actions, ["Challenge", "Login", "CoreSettings", "Getvar"]);
    let got = &server.received_named("Getvar")[0];
    assert_eq!(got.get_all("Action"), ["Getvar"]);
    assert!(got.get("Channel").is_none());
    let variable = got.get("Variable").unwrap();
    assert!(!variable.contains('\r') && !variable.contains('\n'));
    assert_eq!(r.get("Variable"), Some(variable));
    assert_eq!(server.logins(), 1);
    assert!(
        client.send(Action::new("Ping")).await.is_ok(),
        "still logged in"
    );
    client.shutdown();
}

/// A `tracing` writer into a shared buffer.
#[derive(Clone, Default)]
struct LogBuf(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for LogBuf {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn secrets_never_reach_debug_or_the_log() {
    let logs = LogBuf::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .finish();
    // Current-thread runtime: the actor runs on this thread and logs through this subscriber.
    let _guard = tracing::subscriber::set_default(subscriber);

    let server = AmiServer::start().await;
    let mut cfg: NodeConfig = server.node_config("n1");
    cfg.auth = AuthMethod::Plain;
    assert!(!format!("{cfg:?}").contains(crate::ami_server::SECRET));
    let login = Action::new("Login")
        .header("Username", "admin")
        .header("Secret", crate::ami_server::SECRET);
    assert!(!format!("{login:?}").contains(crate::ami_server::SECRET));

    let client = Client::spawn(cfg.clone());
    assert!(client.wait_connected(WAIT).await);
    client.send(Action::new("Ping")).await.unwrap();
    client.shutdown();

    let mut wrong = cfg;
    wrong.secret = "hunter2-never-logged".into();
    let refused = Client::spawn(wrong.clone());
    eventually("a refused attempt", || server.connections() >= 3).await;
    refused.shutdown();
    let err = check(&wrong).await.unwrap_err();
    assert!(!err.to_string().contains("hunter2"));

    let text = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    assert!(
        text.contains("AMI connected"),
        "the log was captured: {text}"
    );
    assert!(
        text.contains("AMI connect failed"),
        "the refusal was logged: {text}"
    );
    assert!(!text.contains(crate::ami_server::SECRET), "{text}");
    assert!(!text.contains("hunter2"), "{text}");
}
