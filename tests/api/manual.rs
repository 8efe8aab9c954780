//! The MiRTA manual's own request examples (seed 003), replayed verbatim (issue #13 §2): each
//! request line and payload as the manual prints them, with only `APIKEY` replaced by a key
//! (the tenant read/write key of tenant `TENANTCODE` when the line names it, else the admin
//! key), sent to `/mirtapbx/proxyapi.php` as the manual's `curl` would: GET, or POST with
//! `jsondata` in the body when the manual shows a payload, multipart with the file for the
//! fax upload. Ids the manual names (`objectid=1701`) are its own, so on this fresh database
//! they are misses; what must hold is that every line is understood and answered in the
//! expected shape. After the table, the manual's writes that need a real row are repeated on
//! one (tenant update, custom update).

use crate::ami_server::{AmiServer, Channel, Queue};
use crate::cluster_harness::*;
use crate::common::*;
use serde_json::Value;

/// The answer a line must get.
#[derive(Debug, Clone, Copy)]
enum Expect {
    /// Answered by what serves it (not an unknown reqtype or info type): a line whose
    /// reqtype another part of issue #13 implements.
    Served,
    /// Not an error of any kind.
    Ok,
    /// A JSON object keyed by id with this many rows (MANAGEDB list).
    Keyed(usize),
    /// 0 bytes.
    Empty,
    /// Exactly this body.
    Is(&'static str),
    /// A body starting with this.
    Starts(&'static str),
    /// A body holding this.
    Has(&'static str),
    /// An error (plain line or json object) whose message starts with this.
    Err(&'static str),
}
use Expect::*;

struct Ex {
    query: &'static str,
    payload: Option<&'static str>,
    /// The manual's `curl -F "filename=@/path/to/fax.pdf"`.
    file: bool,
    /// Sent with the admin key although the line names the tenant (admin-only objects).
    admin: bool,
    expect: Expect,
}

#[rustfmt::skip]
const MANUAL: &[Ex] = &[
    Ex { query: r#"key=APIKEY&reqtype=INFO&info=SIMPLECDRS&tenant=TENANTCODE&calleridnum=103,104&start=2020-01-01&end=2020-12-31"#, payload: None, file: false, admin: false, expect: Empty },
    Ex { query: r#"key=APIKEY&reqtype=INFO&info=CDRS&tenant=TENANTCODE&phone=103,104&start=2019-12-01&end=2022-12-31"#, payload: None, file: false, admin: false, expect: Empty },
    Ex { query: r#"key=APIKEY&reqtype=INFO&info=CDRS&tenant=TENANTCODE&phone=103,104&start=2019-12-01&end=2022-12-31&format=xml&template=Test_CSV"#, payload: None, file: false, admin: false, expect: Empty },
    Ex { query: r#"key=APIKEY&reqtype=INFO&info=DIDS&tenant=TENANTCODE"#, payload: None, file: false, admin: false, expect: Empty },
    Ex { query: r#"key=APIKEY&reqtype=INFO&info=DIDS"#, payload: None, file: false, admin: false, expect: Empty },
    Ex { query: r#"key=APIKEY&reqtype=INFO&info=FLOW&id=61&tenant=TENANTCODE"#, payload: None, file: false, admin: false, expect: Err("parameter 'id': no flow 61 in tenant TENANTCODE") },
    Ex { query: r#"key=APIKEY&reqtype=INFO&info=EXTSTATE&ext=500&tenant=TENANTCODE"#, payload: None, file: false, admin: false, expect: Starts("ext|status|statustext\n500|") },
    Ex { query: r#"key=APIKEY&reqtype=INFO&info=EXTENSIONS&tenant=TENANTCODE"#, payload: None, file: false, admin: false, expect: Starts("Number|Name|Tech|State|Username|Password\n100|Ext 100|PJSIP|") },
    Ex { query: r#"key=APIKEY&reqtype=INFO&info=EXTENSIONS&tenant=TENANTCODE&id=36979"#, payload: None, file: false, admin: false, expect: Empty },
    Ex { query: r#"key=APIKEY&reqtype=INFO&info=EXTENSIONS&tenant=TENANTCODE&number=100"#, payload: None, file: false, admin: false, expect: Starts("Number|Name|Tech|State|Username|Password\n100|Ext 100|PJSIP|") },
    Ex { query: r#"key=APIKEY&tenant=TENANTCODE&reqtype=INFO&info=IVRLOGS&format=json&start=2023-01-01&end=2024-12-31"#, payload: None, file: false, admin: false, expect: Is("[]") },
    Ex { query: r#"key=APIKEY&reqtype=INFO&info=variable&id=61&tenant=TENANTCODE"#, payload: None, file: false, admin: false, expect: Err("parameter 'id': no flow 61 in tenant TENANTCODE") },
    Ex { query: r#"key=APIKEY&tenant=TENANTCODE&reqtype=DND&action=get&number=100"#, payload: None, file: false, admin: false, expect: Empty },
    Ex { query: r#"key=APIKEY&tenant=TENANTCODE&reqtype=DND&action=set&number=100&value=on"#, payload: None, file: false, admin: false, expect: Is("OK") },
    Ex { query: r#"key=APIKEY&reqtype=DIAL&source=402&dest=9922323232&tenant=TENANTCODE&account=402-TENANTCODE"#, payload: None, file: false, admin: false, expect: Starts("Success|Originate successfully queued|n1-") },
    Ex { query: r#"key=APIKEY&reqtype=INFO&info=recording&id=15a4cfe6429054"#, payload: None, file: false, admin: false, expect: Err("parameter 'id': no recording of '15a4cfe6429054'") },
    Ex { query: r#"key=APIKEY&reqtype=DIAL&source=402&dest=9922323232&tenant=TENANTCODE&account=402-TENANTCODE&var=callid=453131"#, payload: None, file: false, admin: false, expect: Starts("Success|Originate successfully queued|n1-") },
    Ex { query: r#"key=APIKEY&reqtype=HANGUP&extension=103-TENANTCODE&tenant=TENANTCODE"#, payload: None, file: false, admin: false, expect: Is("Success|Channel Hungup|") },
    Ex { query: r#"key=APIKEY&reqtype=AGENT&action=PAUSE&queue=281&extension=104-TENANTCODE&tenant=TENANTCODE&pausereason=Breakfast"#, payload: None, file: false, admin: false, expect: Err("parameter 'queue': no queue 281 in tenant TENANTCODE") },
    Ex { query: r#"key=APIKEY&reqtype=AGENT&action=LISTQUEUES&extension=104-TENANTCODE&tenant=TENANTCODE&format=json"#, payload: None, file: false, admin: false, expect: Is("[]") },
    Ex { query: r#"key=APIKEY&reqtype=MEDIAFILE&tenant=TENANTCODE&id=19&action=GETAUDIO&objectid=3619"#, payload: None, file: false, admin: false, expect: Err("no mediafile with id 3619") },
    Ex { query: r#"key=APIKEY&reqtype=QUEUE&tenant=TENANTCODE&action=list&number=9200"#, payload: None, file: false, admin: false, expect: Empty },
    Ex { query: r#"key=APIKEY&reqtype=QUEUE&tenant=TENANTCODE&action=add&number=9200&extension=103"#, payload: None, file: false, admin: false, expect: Is("OK") },
    Ex { query: r#"key=APIKEY&reqtype=QUEUE&tenant=TENANTCODE&action=add&number=781&extension=107&paused=1&penalty=4"#, payload: None, file: false, admin: false, expect: Is("OK") },
    Ex { query: r#"tenant=TENANTCODE&key=APIKEY&reqtype=SETTING&action=GET&code=VMAUTORECOVER"#, payload: None, file: false, admin: false, expect: Is("no") },
    Ex { query: r#"tenant=TENANTCODE&key=APIKEY&reqtype=SETTING&action=SET&code=VMAUTORECOVER&value=no"#, payload: None, file: false, admin: false, expect: Is("no") },
    Ex { query: r#"key=APIKEY&reqtype=VOICEMAIL&tenant=TENANTCODE&action=list"#, payload: None, file: false, admin: false, expect: Empty },
    Ex { query: r#"key=APIKEY&reqtype=VOICEMAIL&tenant=TENANTCODE&mailbox=102&action=messages"#, payload: None, file: false, admin: false, expect: Err("parameter 'mailbox': no voicemail box '102'") },
    Ex { query: r#"key=APIKEY&reqtype=VOICEMAIL&tenant=TENANTCODE&mailbox=102&action=message&msgid=1475685709-00000004"#, payload: None, file: false, admin: false, expect: Err("parameter 'mailbox': no voicemail box '102'") },
    Ex { query: r#"key=APIKEY&reqtype=VOICEMAIL&tenant=TENANTCODE&mailbox=1000&action=markread&msgid=1543267778-00000007"#, payload: None, file: false, admin: false, expect: Err("parameter 'mailbox': no voicemail box '1000'") },
    Ex { query: r#"key=APIKEY&reqtype=VOICEMAIL&tenant=TENANTCODE&action=markunread&mailbox=1000&msgid=1543267778-00000007"#, payload: None, file: false, admin: false, expect: Err("parameter 'mailbox': no voicemail box '1000'") },
    Ex { query: r#"key=APIKEY&reqtype=COUNTCALLS"#, payload: None, file: false, admin: false, expect: Ok },
    Ex { query: r#"key=APIKEY&reqtype=INFO&info=recording&id=srv02-1531779475.48&tenant=TENANTCODE"#, payload: None, file: false, admin: false, expect: Err("parameter 'id': no recording of 'srv02-1531779475.48'") },
    Ex { query: r#"key=APIKEY&reqtype=INFO&info=transcript&id=srv02-1695552000.1043&tenant=TENANTCODE"#, payload: None, file: false, admin: false, expect: Served },
    Ex { query: r#"key=APIKEY&reqtype=PHONEBOOK&subreqtype=query&tenant=TENANTCODE&phonebook=Default&field=name&value=Ben"#, payload: None, file: false, admin: false, expect: Err("parameter 'phonebook': no phonebook 'Default'") },
    Ex { query: r#"key=APIKEY&reqtype=PHONEBOOK&subreqtype=add&phonebook=Default&tenant=TENANTCODE"#, payload: Some(r#"{"NAME": "Ross", "PHONE1": "3564732920"}"#), file: false, admin: false, expect: Starts("pe_id|NAME|COMPANY|PHONE1|PHONE2|PHONE3|MOBILE|FAX|EMAIL|ADDRESS|NOTES\n1|Ross||3564732920|") },
    Ex { query: r#"key=APIKEY&reqtype=FAX&action=send&number=99397654321&source_number=123412345&tenant=TENANTCODE"#, payload: None, file: false, admin: false, expect: Err("parameter 'filename' (a PDF or TIFF file) is required") },
    Ex { query: r#"key=APIKEY&reqtype=FAX&action=send&tenant=TENANTCODE&source_number=15551230000&dest_number=15551239999"#, payload: None, file: true, admin: false, expect: Has("|out|15551239999|15551230000|") }, // queued, or sending once the node answered
    Ex { query: r#"tenant=TENANTCODE&key=APIKEY&reqtype=FAX&action=list"#, payload: None, file: false, admin: false, expect: Has("|out|15551239999|15551230000|") }, // queued, or sending once the node answered
    Ex { query: r#"tenant=TENANTCODE&key=APIKEY&reqtype=FAX&action=download&id=63095"#, payload: None, file: false, admin: false, expect: Err("parameter 'id': no fax 63095") },
    Ex { query: r#"key=APIKEY&reqtype=INFO&info=CDRS&format=csv&tenant=TENANTCODE&start=2017-01-01&end=2017-02-01"#, payload: None, file: false, admin: false, expect: Is("ID,accountcode,start,answer,end,clid,realsrc,firstdst,lastdst,src,dst,duration,billsec,disposition,dcontext,channel,dstchannel,lastapp,userfield,uniqueid,linkedid,peeraccount,originateid,wherelanded,te_id,direction\n") },
    Ex { query: r#"key=APIKEY&reqtype=INFO&info=CDRS&format=csv&tenant=%&start=2017-01-01&end=2017-02-01"#, payload: None, file: false, admin: false, expect: Is("ID,accountcode,start,answer,end,clid,realsrc,firstdst,lastdst,src,dst,duration,billsec,disposition,dcontext,channel,dstchannel,lastapp,userfield,uniqueid,linkedid,peeraccount,originateid,wherelanded,te_id,direction\n") },
    Ex { query: r#"key=APIKEY&reqtype=INFO&info=QUEUELOGS&format=csv&tenant=TENANTCODE&start=2017-10-01&end=2017-12-01"#, payload: None, file: false, admin: false, expect: Is("time,qu_name,callerid,disposition,agent,holdtime,calltime,origpos,callid\n") },
    Ex { query: r#"key=APIKEY&reqtype=RESPONSEPATH&tenant=TENANTCODE&id=19&action=GETLAST"#, payload: None, file: false, admin: false, expect: Err("RESPONSEPATH action=GETLAST (the latest result of a configured response path") },
    Ex { query: r#"key=APIKEY&reqtype=RESPONSEPATH&tenant=TENANTCODE&id=19&action=GETLAST&filter=ANSWER&filterdata=104-TENANTCODE"#, payload: None, file: false, admin: false, expect: Err("RESPONSEPATH action=GETLAST (the latest result of a configured response path") },
    Ex { query: r#"key=APIKEY&reqtype=RESPONSEPATH&tenant=TENANTCODE&id=19&action=GETLAST&filter=ANSWER&filterdata=105-TENANTCODE&format=xml"#, payload: None, file: false, admin: false, expect: Err("RESPONSEPATH action=GETLAST (the latest result of a configured response path") },
    Ex { query: r#"key=APIKEY&reqtype=MANAGEDB&object=CUSTOMTYPES&tenant=TENANTCODE&action=list"#, payload: None, file: false, admin: true, expect: Keyed(1) },
    Ex { query: r#"key=APIKEY&reqtype=MANAGEDB&object=CUSTOM&tenant=TENANTCODE&action=list"#, payload: None, file: false, admin: false, expect: Empty },
    Ex { query: r#"key=APIKEY&reqtype=MANAGEDB&object=CUSTOM&tenant=TENANTCODE&action=get&objectid=67"#, payload: None, file: false, admin: false, expect: Empty },
    Ex { query: r#"key=APIKEY&reqtype=MANAGEDB&action=add&object=custom&tenant=TENANTCODE"#, payload: Some(r#"{"cu_name": "Boss phone", "cu_ct_id": 1, "cu_param1": "3564732920", "cu_param2": "INCOMINGDID", "cu_param3": "30"}"#), file: false, admin: false, expect: Has("\"cu_name\":\"Boss phone\"") },
    Ex { query: r#"key=APIKEY&reqtype=MANAGEDB&action=update&object=custom&tenant=TENANTCODE&objectid=286"#, payload: Some(r#"{"cu_name": "Boss private phone", "cu_id": 286, "cu_param1": "0636287454"}"#), file: false, admin: false, expect: Err("no custom with id 286") },
    Ex { query: r#"key=APIKEY&tenant=TENANTCODE&reqtype=CDR&action=GET&field=userfield&uniqueid=srv02-1701011773.4670"#, payload: None, file: false, admin: false, expect: Empty },
    Ex { query: r#"key=APIKEY&tenant=TENANTCODE&reqtype=CDR&action=UPDATE&field=userfield&uniqueid=srv02-1701011773.4670&value="#, payload: None, file: false, admin: false, expect: Empty },
    Ex { query: r#"key=APIKEY&reqtype=MANAGEDB&object=TENANT&action=list"#, payload: None, file: false, admin: false, expect: Keyed(3) },
    Ex { query: r#"key=APIKEY&reqtype=MANAGEDB&object=TENANT&action=list&filter=te_disabled='on'"#, payload: None, file: false, admin: false, expect: Empty },
    Ex { query: r#"key=APIKEY&reqtype=MANAGEDB&object=TENANT&action=get&objectid=1"#, payload: None, file: false, admin: false, expect: Has("\"te_code\":\"ACME\"") },
    Ex { query: r#"key=APIKEY&reqtype=MANAGEDB&action=add&object=tenant"#, payload: Some(r#"{"te_code": "RELAX", "te_name": "Relax & entertainment", "pk_start": 800, "pk_end": 810}"#), file: false, admin: false, expect: Has("\"te_code\":\"RELAX\"") },
    Ex { query: r#"key=APIKEY&reqtype=MANAGEDB&action=update&object=tenant&objectid=460"#, payload: Some(r#"{"te_name": "Relax and entertainment", "pk_end": 820}"#), file: false, admin: false, expect: Err("no tenant with id 460") },
    Ex { query: r#"key=APIKEY&reqtype=MANAGEDB&object=PHONE&action=list&tenant=TENANTCODE"#, payload: None, file: false, admin: false, expect: Empty },
    Ex { query: r#"key=APIKEY&reqtype=MANAGEDB&object=PHONE&action=get&objectid=182&tenant=TENANTCODE"#, payload: None, file: false, admin: false, expect: Empty },
    Ex { query: r#"key=APIKEY&reqtype=MANAGEDB&action=add&object=phones&tenant=TENANTCODE"#, payload: Some(r#"{"ph_name": "George Basement", "ph_mac": "AA:BB:CC:DD:EE:FF:00:11", "ph_pm_id": 5}"#), file: false, admin: false, expect: Err("field 'ph_mac' must be a MAC address") },
    Ex { query: r#"key=APIKEY&reqtype=MANAGEDB&action=update&object=phone&objectid=207&tenant=TENANTCODE"#, payload: Some(r#"{"ph_name": "George Lower Basement"}"#), file: false, admin: false, expect: Err("no phone with id 207") },
    Ex { query: r#"key=APIKEY&reqtype=MANAGEDB&object=MEDIAFILE&action=list&tenant=TENANTCODE"#, payload: None, file: false, admin: false, expect: Empty },
    Ex { query: r#"key=APIKEY&reqtype=MANAGEDB&object=MEDIAFILE&action=get&objectid=1063&tenant=TENANTCODE"#, payload: None, file: false, admin: false, expect: Empty },
    Ex { query: r#"key=APIKEY&reqtype=MANAGEDB&object=MEDIAFILE&action=getbinary&objectid=1063&tenant=TENANTCODE"#, payload: None, file: false, admin: false, expect: Err("no mediafile with id 1063") },
    Ex { query: r#"key=APIKEY&reqtype=MANAGEDB&action=update&object=mediafile&objectid=10&tenant=TENANTCODE"#, payload: Some(r#"{"me_name": "Beep"}"#), file: false, admin: false, expect: Err("no mediafile with id 10") },
    Ex { query: r#"key=APIKEY&reqtype=MANAGEDB&object=MEDIAFILE&action=updatebinary&objectid=247&tenant=TENANTCODE"#, payload: None, file: false, admin: false, expect: Err("no mediafile with id 247") },
    Ex { query: r#"key=APIKEY&reqtype=MANAGEDB&object=HUNTLIST&action=get&objectid=323&tenant=TENANTCODE"#, payload: None, file: false, admin: false, expect: Empty },
    Ex { query: r#"key=APIKEY&reqtype=MANAGEDB&object=HUNTLIST&action=getextensions&objectid=323&tenant=TENANTCODE"#, payload: None, file: false, admin: false, expect: Err("no huntlist with id 323") },
    Ex { query: r#"key=APIKEY&reqtype=MANAGEDB&action=setextensions&object=huntlist&objectid=26&tenant=TENANTCODE"#, payload: None, file: false, admin: false, expect: Err("no huntlist with id 26") },
    Ex { query: r#"key=APIKEY&reqtype=MANAGEDB&action=list&object=extension&tenant=TENANTCODE"#, payload: None, file: false, admin: false, expect: Keyed(8) },
    Ex { query: r#"key=APIKEY&reqtype=MANAGEDB&action=get&object=extension&objectid=1701&tenant=TENANTCODE"#, payload: None, file: false, admin: false, expect: Empty },
    Ex { query: r#"key=APIKEY&reqtype=MANAGEDB&action=delete&object=extension&objectid=6016&tenant=TENANTCODE"#, payload: None, file: false, admin: false, expect: Err("no extension with id 6016") },
    Ex { query: r#"key=APIKEY&reqtype=MANAGEDB&action=update&object=extension&objectid=1695&tenant=TENANTCODE"#, payload: Some(r#"{"ex_callallowed": "all"}"#), file: false, admin: false, expect: Err("no extension with id 1695") },
    Ex { query: r#"key=APIKEY&reqtype=MANAGEDB&action=add&object=extension&tenant=TENANTCODE"#, payload: Some(r#"{"ex_number": "1100", "ex_name": "Test extension", "ex_tech": "SIP", "secret": "hackmeifyoucan", "ex_pickupgroup": "1,5,6", "ex_callgroup": "1,7,9"}"#), file: false, admin: false, expect: Has("\"ex_tech\":\"SIP\"") },
    Ex { query: r#"key=APIKEY&reqtype=MANAGEDB&action=add&object=extension&tenant=TENANTCODE"#, payload: Some(r#"{"ex_number": "1100", "ex_name": "Test PJSIP extension", "password": "hackmeifyoucan", "ex_tech": "PJSIP"}"#), file: false, admin: false, expect: Err("ex_number '1100' already exists in tenant TENANTCODE") },
    Ex { query: r#"key=APIKEY&reqtype=MANAGEDB&object=user&action=list"#, payload: None, file: false, admin: false, expect: Keyed(1) },
    Ex { query: r#"key=APIKEY&reqtype=MANAGEDB&object=user&action=get&objectid=3635"#, payload: None, file: false, admin: false, expect: Empty },
    Ex { query: r#"key=APIKEY&reqtype=MANAGEDB&action=add&object=user"#, payload: Some(r#"{"us_username": "Leandro71", "us_password": "sha256(change-me)", "us_up_id": 1}"#), file: false, admin: false, expect: Has("\"us_username\":\"Leandro71\"") },
    Ex { query: r#"key=APIKEY&reqtype=MANAGEDB&action=add&object=conference&tenant=TENANTCODE"#, payload: Some(r#"{"cr_number": "887", "cr_name": "Test conference", "pin": "5678"}"#), file: false, admin: false, expect: Has("\"cr_number\":\"887\"") },
    Ex { query: r#"key=APIKEY&reqtype=MANAGEDB&object=provider&action=list"#, payload: None, file: false, admin: false, expect: Empty },
    Ex { query: r#"key=APIKEY&reqtype=MANAGEDB&object=provider&action=get&objectid=1027"#, payload: None, file: false, admin: false, expect: Empty },
    Ex { query: r#"key=APIKEY&reqtype=MANAGEDB&action=update&object=provider&objectid=1027"#, payload: Some(r#"{"pr_peername": "test_extradevel", "pr_name": "Test extradevel"}"#), file: false, admin: false, expect: Err("no provider with id 1027") },
    Ex { query: r#"key=APIKEY&reqtype=MANAGEDB&action=add&object=provider"#, payload: Some(r#"{"pr_peername": "new_provider", "pr_name": "New Provider", "pr_tech": "SIP", "pr_userealtime": "on", "allow": "'alaw:20", "host": "172.16.1.100"}"#), file: false, admin: false, expect: Err("field 'allow' must be a comma-separated list of codecs") },
    Ex { query: r#"key=APIKEY&reqtype=MANAGEDB&object=routingprofile&action=list"#, payload: None, file: false, admin: false, expect: Empty },
    Ex { query: r#"key=APIKEY&reqtype=MANAGEDB&object=routingprofile&action=get&objectid=99"#, payload: None, file: false, admin: false, expect: Empty },
    Ex { query: r#"key=APIKEY&reqtype=MANAGEDB&object=routingprofile&action=listroutes&objectid=99"#, payload: None, file: false, admin: false, expect: Err("no routingprofile with id 99") },
    Ex { query: r#"key=APIKEY&reqtype=MANAGEDB&action=add&object=routingprofile"#, payload: Some(r#"{"rp_name": "Only National", "rp_type": "VOICE"}"#), file: false, admin: false, expect: Has("\"rp_name\":\"Only National\"") },
    Ex { query: r#"key=APIKEY&reqtype=MANAGEDB&action=update&object=routingprofile&objectid=275"#, payload: None, file: false, admin: false, expect: Err("jsondata must name at least one field to update") },
    Ex { query: r#"key=APIKEY&reqtype=MANAGEDB&object=route&action=list"#, payload: None, file: false, admin: false, expect: Empty },
    Ex { query: r#"key=APIKEY&reqtype=MANAGEDB&object=route&routingprofileid=1&action=list"#, payload: None, file: false, admin: false, expect: Empty },
    Ex { query: r#"key=APIKEY&reqtype=MANAGEDB&object=route&action=get&objectid=69"#, payload: None, file: false, admin: false, expect: Empty },
    Ex { query: r#"key=APIKEY&reqtype=MANAGEDB&action=add&object=route"#, payload: Some(r#"{"dl_rp_id": "1", "dl_name": "Free Numbers", "dl_regex": "^800.*", "dl_pr_id": "89"}"#), file: false, admin: false, expect: Err("field 'dl_pr_id': no provider with id 89") },
    Ex { query: r#"key=APIKEY&reqtype=MANAGEDB&action=update&object=route&objectid=69"#, payload: Some(r#"{"dl_emergencyroute": "", "dl_usepin": "on"}"#), file: false, admin: false, expect: Err("no route with id 69") },
    Ex { query: r#"key=APIKEY&reqtype=MANAGEDB&object=DID&action=LIST&tenant=TENANTCODE"#, payload: None, file: false, admin: false, expect: Empty },
    Ex { query: r#"key=APIKEY&reqtype=MANAGEDB&object=DID&action=GET&objectid=27699&tenant=TENANTCODE"#, payload: None, file: false, admin: false, expect: Empty },
    Ex { query: r#"key=APIKEY&reqtype=MANAGEDB&action=update&object=did&objectid=27699"#, payload: Some(r#"{"di_comment": "Test DID", "di_recording": "yes"}"#), file: false, admin: false, expect: Err("no did with id 27699") },
    Ex { query: r#"key=APIKEY&reqtype=MANAGEDB&object=DESTINATION&action=LIST&typesrc=DID&typeidsrc=27699&tenant=TENANTCODE"#, payload: None, file: false, admin: false, expect: Empty },
    Ex { query: r#"key=APIKEY&reqtype=MANAGEDB&object=DESTINATION&action=LIST&typesrc=CONDITION&typeidsrc=20&tenant=TENANTCODE"#, payload: None, file: false, admin: false, expect: Empty },
    Ex { query: r#"key=APIKEY&reqtype=MANAGEDB&object=DESTINATION&action=LIST&typesrc=NOTCONDITION&typeidsrc=20&tenant=TENANTCODE"#, payload: None, file: false, admin: false, expect: Empty },
    Ex { query: r#"key=APIKEY&reqtype=MANAGEDB&object=DESTINATION&action=replace&typesrc=CONDITION&typeidsrc=20&tenant=TENANTCODE"#, payload: Some(r#"["PLAYBACK-60", "EXT-29379"]"#), file: false, admin: false, expect: Err("parameter 'typeidsrc': no CONDITION source with id 20") },
    Ex { query: r#"key=APIKEY&reqtype=MANAGEDB&object=DESTINATION&action=replace&typesrc=NOTCONDITION&typeidsrc=20&tenant=TENANTCODE"#, payload: Some(r#"["PLAYBACK-60", "EXT-29379"]"#), file: false, admin: false, expect: Err("parameter 'typeidsrc': no NOTCONDITION source with id 20") },
    Ex { query: r#"key=APIKEY&reqtype=MANAGEDB&object=DESTINATION&action=replace&typesrc=IVR_1&typeidsrc=3634&tenant=TENANTCODE"#, payload: Some(r#"["PLAYBACK-60", "EXT-29379"]"#), file: false, admin: false, expect: Err("parameter 'typeidsrc': no IVR_1 source with id 3634") },
    Ex { query: r#"key=APIKEY&reqtype=MANAGEDB&object=DESTINATION&action=replace&typesrc=DID&typeidsrc=27699&tenant=TENANTCODE"#, payload: Some(r#"["PLAYBACK-60", "EXT-29379"]"#), file: false, admin: false, expect: Err("parameter 'typeidsrc': no DID source with id 27699") },
    Ex { query: r#"key=APIKEY&reqtype=MANAGEDB&object=IVR&action=LIST&tenant=TENANTCODE"#, payload: None, file: false, admin: false, expect: Empty },
    Ex { query: r#"key=APIKEY&reqtype=MANAGEDB&object=IVR&action=GET&tenant=TENANTCODE&objectid=322"#, payload: None, file: false, admin: false, expect: Empty },
    Ex { query: r#"key=APIKEY&reqtype=MANAGEDB&object=IVR&action=GETDESTINATIONS&tenant=TENANTCODE&objectid=3634"#, payload: None, file: false, admin: false, expect: Err("no ivr with id 3634") },
    Ex { query: r#"key=APIKEY&reqtype=MANAGEDB&object=CONDITION&action=LIST&tenant=TENANTCODE"#, payload: None, file: false, admin: false, expect: Empty },
    Ex { query: r#"key=APIKEY&reqtype=MANAGEDB&object=CONDITION&action=GETDESTINATIONS&tenant=TENANTCODE&objectid=20&format=json"#, payload: None, file: false, admin: false, expect: Err("no condition with id 20") },
    Ex { query: r#"key=APIKEY&reqtype=MANAGEDB&object=CONDITION&action=GET&tenant=TENANTCODE&objectid=20&format=json"#, payload: None, file: false, admin: false, expect: Is("{}") },
    Ex { query: r#"key=APIKEY&reqtype=MANAGEDB&object=CONDITION&action=GETEXTENDEDINFOS&tenant=TENANTCODE&objectid=20&format=json"#, payload: None, file: false, admin: false, expect: Err("no condition with id 20") },
    Ex { query: r#"key=APIKEY&reqtype=MANAGEDB&object=CONDITION&action=replaceextendedinfos&objectid=20&tenant=TENANTCODE"#, payload: Some(r#"[{"param1": "1", "param2": "8:00", "param3": "13:00"}, {"param1": "1", "param2": "15:00", "param3": "19:00"}, {"param1": "2", "param2": "8:00", "param3": "13:00"}, {"param1": "2", "param2": "15:00", "param3": "19:00"}]"#), file: false, admin: false, expect: Err("no condition with id 20") },
    Ex { query: r#"key=APIKEY&reqtype=MANAGEDB&object=VOICEMAIL&action=LIST&tenant=TENANTCODE"#, payload: None, file: false, admin: false, expect: Empty },
    Ex { query: r#"key=APIKEY&reqtype=MANAGEDB&object=VOICEMAIL&action=LISTMESSAGES&tenant=TENANTCODE&mailboxuser=001&mailbox=INBOX"#, payload: None, file: false, admin: false, expect: Err("parameter 'mailboxuser': no voicemail box '001'") },
    Ex { query: r#"key=APIKEY&reqtype=MANAGEDB&object=VOICEMAIL&action=GETMESSAGERECORDING&id=4963&tenant=TENANTCODE"#, payload: None, file: false, admin: false, expect: Err("parameter 'id': no voicemail message with id 4963") },
    Ex { query: r#"key=APIKEY&reqtype=MANAGEDB&action=add&tenant=TENANTCODE&object=voicemail"#, payload: Some(r#"{"mailbox": "9000", "password": "1234567", "fullname": "This is a test", "email": "test@mirtapbx.com"}"#), file: false, admin: false, expect: Has("\"mailbox\":\"9000\"") },
    Ex { query: r#"key=APIKEY&reqtype=MANAGEDB&object=VOICEMAIL&action=DELETE&objectid=32259&tenant=TENANTCODE"#, payload: None, file: false, admin: false, expect: Err("no voicemail with id 32259") },
    Ex { query: r#"key=APIKEY&tenant=TENANTCODE&reqtype=MANAGEDB&object=PHONEPHONEBOOK&action=LIST"#, payload: None, file: false, admin: false, expect: Empty },
    Ex { query: r#"key=APIKEY&tenant=TENANTCODE&reqtype=MANAGEDB&object=PHONEPHONEBOOK&action=GET&objectid=1332"#, payload: None, file: false, admin: false, expect: Empty },
    Ex { query: r#"key=APIKEY&reqtype=MANAGEDB&object=QUEUE&action=LIST&tenant=TENANTCODE"#, payload: None, file: false, admin: false, expect: Keyed(2) },
    Ex { query: r#"key=APIKEY&reqtype=MANAGEDB&action=add&tenant=TENANTCODE&object=queue"#, payload: Some(r#"{"qu_name": "Support Line", "strategy": "RINGALL", "timeout": "30"}"#), file: false, admin: false, expect: Has("\"qu_name\":\"Support Line\"") },
    Ex { query: r#"key=APIKEY&reqtype=MANAGEDB&object=QUEUE&action=DELETE&objectid=7027&tenant=TENANTCODE"#, payload: None, file: false, admin: false, expect: Err("no queue with id 7027") },
    Ex { query: r#"key=APIKEY&reqtype=AUTHTOKEN&action=generate&validity=ONCE&user=adrian"#, payload: None, file: false, admin: false, expect: Has("sbt_") },
];

/// The message of an error answer, if it is one.
fn error_message(r: &Resp) -> Option<String> {
    let t = String::from_utf8_lossy(&r.body).to_string();
    if let Some(m) = t.strip_prefix("Error: ") {
        return Some(m.trim_end().to_string());
    }
    if t == TOO_BAD {
        return Some(t);
    }
    match serde_json::from_str::<Value>(&t) {
        Result::Ok(v) if v["Response"] == "Error" => {
            Some(v["Message"].as_str().unwrap_or("").to_string())
        }
        _ => None,
    }
}

#[track_caller]
fn check(ex: &Ex, r: &Resp) {
    let text = String::from_utf8_lossy(&r.body).to_string();
    let what = format!("{}\n  got: {text:?}", ex.query);
    let err = error_message(r);
    match ex.expect {
        Served => assert!(
            !text.contains("unknown reqtype") && !text.contains("unknown info type"),
            "{what}"
        ),
        Ok => assert!(err.is_none(), "{what}"),
        Keyed(n) => {
            let v: Value =
                serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {what}"));
            assert_eq!(v.as_object().map(|m| m.len()), Some(n), "{what}");
        }
        Empty => assert!(r.body.is_empty(), "{what}"),
        Is(s) => assert_eq!(text, s, "{what}"),
        Starts(s) => assert!(text.starts_with(s), "{what}"),
        Has(s) => assert!(text.contains(s), "{what}"),
        Err(s) => assert!(err.as_deref().is_some_and(|m| m.starts_with(s)), "{what}"),
    }
}

/// One manual line sent as its `curl` would send it.
async fn replay(ctx: &Ctx, sb: &Sb, tenant_key: &str, ex: &Ex) -> Resp {
    let key = if ex.query.contains("tenant=TENANTCODE") && !ex.admin {
        tenant_key
    } else {
        ctx.admin.as_str()
    };
    let query = ex.query.replace("APIKEY", key);
    let path = "/mirtapbx/proxyapi.php";
    if ex.file {
        let boundary = "----manual-replay-boundary";
        let pdf: Vec<u8> = [b"%PDF-1.4\n".as_slice(), &[7u8; 600], b"\n%%EOF\n"].concat();
        let body =
            multipart_with_files(&[], &[("filename".into(), "fax.pdf".into(), pdf)], boundary);
        let ct = format!("multipart/form-data; boundary={boundary}");
        return ctx
            .send_to(&sb.base, "POST", path, &query, Some(&ct), &[], body)
            .await;
    }
    match ex.payload {
        Some(p) => {
            let body = urlencode(&[("jsondata".to_string(), p.to_string())]).into_bytes();
            ctx.send_to(
                &sb.base,
                "POST",
                path,
                &query,
                Some("application/x-www-form-urlencoded"),
                &[],
                body,
            )
            .await
        }
        None => {
            ctx.send_to(&sb.base, "GET", path, &query, None, &[], Vec::new())
                .await
        }
    }
}

backend_tests! {
    /// Every request example of the manual, in its order, on one tenant `TENANTCODE` with the
    /// extensions, queues and node the examples talk about.
    async fn the_manuals_examples_verbatim(ctx) {
        let te = switchboard::cli::add_tenant(&ctx.db, "TENANTCODE", "Tenant of the manual", serde_json::json!({})).await.unwrap();
        let (_, key) = ctx.mint(KeySpec { tenant_id: Some(te), ..Default::default() }).await;
        let t = Tenant { id: te, code: "TENANTCODE" };
        for n in ["100", "102", "103", "104", "107", "402", "500", "1000"] {
            ctx.ext(&t, n, serde_json::json!({})).await;
        }
        for (name, number) in [("Sales", "9200"), ("Support", "781")] {
            ctx.add(&ctx.admin, Some("TENANTCODE"), "queue", serde_json::json!({ "qu_name": name, "qu_number": number })).await;
        }
        // What the examples name: the CDR template, a custom destination type, the web user
        // of the AUTHTOKEN example; on the node the queues (named by id) and a call of 103.
        ctx.add(&ctx.admin, Some("TENANTCODE"), "cdrtemplate", serde_json::json!({
            "tp_name": "Test_CSV",
            "tp_template": "{row_loop}{$uniqueid},{$ID},{$te_id},{$realsrc},{$lastdst},{$start},{$duration},{$answer},{$direction},{$direction},{$disposition}\n{/row_loop}",
        })).await;
        ctx.add(&ctx.admin, None, "customtype", serde_json::json!({ "ct_name": "Call a number" })).await;
        ctx.add(&ctx.admin, None, "user", serde_json::json!({ "us_username": "adrian", "us_password": "s3cret-adrian" })).await;
        let node = AmiServer::start().await;
        {
            let mut s = node.state();
            for id in ["1", "2"] {
                s.queues.insert(id.into(), Queue::default());
            }
            s.channels.push(Channel::new("PJSIP/103-TENANTCODE-00000001", "from-internal-TENANTCODE", "5551234"));
        }
        let sb = Sb::with_node(ctx, &node).await;
        for ex in MANUAL {
            let r = replay(ctx, &sb, &key, ex).await;
            check(ex, &r);
        }

        // The manual's writes on real rows. Tenant update with `pk_end` and no `pk_start`:
        // the stored start stays; the echo names only te_tenants' own columns.
        let relax = ctx.mdb(&ctx.admin, None, "tenant", "list").p("filter", "te_code = 'RELAX'").fmt("json").get().await.json();
        let relax: i32 = relax.as_object().unwrap().keys().next().unwrap().parse().unwrap();
        let upd = |obj: &'static str, id: i32, tenant: Option<&'static str>, data: &'static str| {
            let k = if tenant.is_some() { key.clone() } else { ctx.admin.clone() };
            async move { ctx.mdb(&k, tenant, obj, "update").id(id).p("jsondata", data).post().await }
        };
        upd("tenant", relax, None, r#"{"te_name": "Relax and entertainment", "pk_end": 820}"#).await
            .is_plain(&format!("update te_tenants set te_name='Relax and entertainment' where te_id='{relax}'"));
        let lot = format!("pk_te_id = {relax} AND pk_start = '800'");
        assert_eq!(ctx.count_where("pk_parkinglots", &format!("{lot} AND pk_end = '820'")).await, 1);
        upd("tenant", relax, None, r#"{"pk_end": 830}"#).await
            .is_plain(&format!("update te_tenants set te_id='{relax}' where te_id='{relax}'"));
        assert_eq!(ctx.count_where("pk_parkinglots", &format!("{lot} AND pk_end = '830'")).await, 1);
        upd("tenant", relax, None, r#"{"pk_start": 900}"#).await.is_error("field 'pk_start' must not be greater than 'pk_end'");
        upd("tenant", te, None, r#"{"pk_end": 820}"#).await
            .is_error(&format!("field 'pk_start' is required: tenant {te} has no parking lot yet ('pk_start' and 'pk_end' make one)"));
        assert_eq!(ctx.count_where("pk_parkinglots", &format!("pk_te_id = {te}")).await, 0);

        // Custom update with its own `cu_id` in the payload: ignored; another id is an error.
        let cu = ctx.list(&key, Some("TENANTCODE"), "custom").await;
        let cu: i32 = cu.as_object().unwrap().keys().next().unwrap().parse().unwrap();
        let data = format!(r#"{{"cu_name": "Boss private phone", "cu_id": {cu}, "cu_param1": "0636287454"}}"#);
        ctx.mdb(&key, Some("TENANTCODE"), "custom", "update").id(cu).p("jsondata", &data).post().await.is_plain(&format!(
            "update cu_customs set cu_name='Boss private phone', cu_param1='0636287454' where cu_te_id='{te}' and cu_id='{cu}'"));
        let data = format!(r#"{{"cu_name": "x", "cu_id": "{}"}}"#, cu + 1);
        ctx.mdb(&key, Some("TENANTCODE"), "custom", "update").id(cu).p("jsondata", &data).post().await
            .is_error(&format!("field 'cu_id' (\"{}\") is not objectid {cu}: the primary key cannot change", cu + 1));

        // Provider `allow` in Asterisk's syntax (the manual's stray leading quote aside).
        let p = ctx.add(&ctx.admin, None, "provider", serde_json::json!({
            "pr_peername": "new_provider", "pr_name": "New Provider", "pr_tech": "SIP",
            "pr_userealtime": "on", "allow": "alaw:20,!g729,ulaw", "host": "172.16.1.100",
        })).await;
        assert_eq!(p["pr_allow"], "alaw:20,!g729,ulaw");
        for bad in ["'alaw:20", "alaw:", "alaw:20ms", "alaw,,ulaw"] {
            ctx.mdb(&ctx.admin, None, "provider", "add")
                .json(&serde_json::json!({ "pr_peername": "p2", "pr_name": "P2", "pr_tech": "SIP", "allow": bad }))
                .post().await.is_error_starting("field 'allow' must be a comma-separated list of codecs");
        }

        // A queue without a number: a second one too, and a DID may point at it. Its update
        // echo has no `strategy=` / `timeout=` (they set qu_strategy / qu_timeout).
        let q2 = ctx.add(&key, Some("TENANTCODE"), "queue", serde_json::json!({ "qu_name": "Night" })).await;
        let q2 = id_of(&q2, "qu_id");
        let did = ctx.did(&t, "5550100").await;
        let r = ctx.mdb(&key, Some("TENANTCODE"), "destination", "replace").p("typesrc", "DID")
            .p("typeidsrc", id_of(&did, "di_id").to_string()).json(&serde_json::json!([format!("QUEUE-{q2}")])).post().await;
        assert!(!r.is_any_error(), "{}", r.text());
        upd("queue", q2, Some("TENANTCODE"), r#"{"strategy": "rrmemory", "timeout": "20"}"#).await.is_plain(&format!(
            "update qu_queues set qu_strategy='rrmemory', qu_timeout='20' where qu_te_id='{te}' and qu_id='{q2}'"));
        ctx.req().on(&sb.base).p("reqtype", "QUEUE").p("key", &key).p("tenant", "TENANTCODE").p("action", "list").p("number", "")
            .get().await.is_error("parameter 'number' or 'id' is required"); // never the numberless queue
        // An extension's device password is no column of ex_extensions: not in the echo.
        let ext = ctx.list(&key, Some("TENANTCODE"), "extension").await;
        let ext: i32 = ext.as_object().unwrap().keys().next().unwrap().parse().unwrap();
        let echo = upd("extension", ext, Some("TENANTCODE"), r#"{"password": "n3w-secret-99", "ex_name": "Front"}"#).await.text();
        assert_eq!(echo, format!("update ex_extensions set ex_name='Front' where ex_te_id='{te}' and ex_id='{ext}'"));

        // Voicemail add with no jsondata, or without its mailbox: an error naming it, nothing
        // written, and the same error again (no empty box blocks the next add).
        let before = ctx.snapshot().await;
        for _ in 0..2 {
            ctx.mdb(&key, Some("TENANTCODE"), "voicemail", "add").post().await.is_error("field 'mailbox' is required to add a voicemail");
            ctx.mdb(&key, Some("TENANTCODE"), "voicemail", "add").json(&serde_json::json!({ "fullname": "No box" })).post().await
                .is_error("field 'mailbox' is required to add a voicemail");
        }
        ctx.mdb(&ctx.admin, None, "tenant", "add").json(&serde_json::json!({})).post().await
            .is_error("fields 'te_code', 'te_name' are required to add a tenant");
        assert_eq!(ctx.snapshot().await, before);

        // PHONEBOOK add: `values` or `jsondata`, not both.
        ctx.req().on(&sb.base).p("reqtype", "PHONEBOOK").p("key", &key).p("tenant", "TENANTCODE").p("subreqtype", "add")
            .p("phonebook", "Default").p("values", r#"{"NAME":"A"}"#).p("jsondata", r#"{"NAME":"B"}"#).post().await
            .is_error("parameters 'values' and 'jsondata' are the same; give one");
        ctx.req().on(&sb.base).p("reqtype", "PHONEBOOK").p("key", &key).p("tenant", "TENANTCODE").p("subreqtype", "add")
            .p("phonebook", "Default").p("jsondata", "[1]").post().await
            .is_error("parameter 'jsondata' element 0: must be an object");

        // INFO FLOW and INFO variable by `id` (the flow's id): its state, its value.
        ctx.req().on(&sb.base).p("reqtype", "SETFLOW").p("key", &key).p("tenant", "TENANTCODE").p("number", "61")
            .p("state", "INUSE").p("value", "36985").get().await.is_plain("OK");
        let fl: i32 = {
            use sea_orm::EntityTrait;
            entity::fl_flows::Entity::find().all(&ctx.db.conn).await.unwrap()[0].fl_id
        };
        let info = |k: &str, tenant: &str, what: &str| ctx.req().on(&sb.base).p("reqtype", "INFO").p("key", k)
            .p("tenant", tenant).p("info", what).p("id", fl.to_string());
        let r = info(&key, "TENANTCODE", "FLOW").fmt("json").get().await.json();
        assert_eq!((&r[0]["number"], &r[0]["state"], &r[0]["value"]), (&Value::from("61"), &Value::from("INUSE"), &Value::from("36985")), "{r}");
        info(&key, "TENANTCODE", "variable").get().await.is_plain("36985");
        info(&ctx.rw, "ACME", "variable").get().await.is_error(&format!("parameter 'id': no flow {fl} in tenant ACME for INFO variable"));
        info(&ctx.rw, "ACME", "flow").get().await.is_error(&format!("parameter 'id': no flow {fl} in tenant ACME for INFO flow"));
        info(&key, "TENANTCODE", "variable").without("id").get().await
            .is_error("parameter 'variable' (a variable name, or 'id' of a flow) is required");

        // FAX send: `dest_number` is checked under its own name.
        let pdf: Vec<u8> = [b"%PDF-1.4\n".as_slice(), &[7u8; 600], b"\n%%EOF\n"].concat();
        ctx.req().on(&sb.base).p("reqtype", "FAX").p("key", &key).p("tenant", "TENANTCODE").p("action", "send")
            .p("dest_number", "12ab").file("filename", "fax.pdf", pdf).split_multipart(&["reqtype", "key", "tenant", "action", "dest_number"]).await
            .is_error_starting("parameter 'dest_number' must be a phone number");
        sb.stop().await;
    }
}
