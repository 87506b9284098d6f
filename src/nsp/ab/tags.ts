// Property tags of address book objects (MS-OXPROPS 2.x; MS-OXOABK 2.2; MS-OXNSPI 3.1.4.2), named as MS-OXPROPS
// names them, with the MAPI (PR_) name in the comment. The type in each tag is the one MS-OXPROPS gives; string
// properties may be asked for as PT_STRING8 or PT_UNICODE either way (MS-OXNSPI 3.1.4.3).

// Identity and addressing (MS-OXOABK 2.2.3)
export const PidTagEntryId = 0x0fff0102; // PR_ENTRYID
export const PidTagObjectType = 0x0ffe0003; // PR_OBJECT_TYPE
export const PidTagRecordKey = 0x0ff90102; // PR_RECORD_KEY
export const PidTagMappingSignature = 0x0ff80102; // PR_MAPPING_SIGNATURE
export const PidTagInstanceKey = 0x0ff60102; // PR_INSTANCE_KEY
export const PidTagDisplayName = 0x3001001f; // PR_DISPLAY_NAME
export const PidTagAddressType = 0x3002001f; // PR_ADDRTYPE
export const PidTagEmailAddress = 0x3003001f; // PR_EMAIL_ADDRESS
export const PidTagComment = 0x3004001f; // PR_COMMENT
export const PidTagDepth = 0x30050003; // PR_DEPTH
export const PidTagSearchKey = 0x300b0102; // PR_SEARCH_KEY
export const PidTagContainerFlags = 0x36000003; // PR_CONTAINER_FLAGS
export const PidTagAnr = 0x360c001f; // PR_ANR
export const PidTagContainerContents = 0x360f000d; // PR_CONTAINER_CONTENTS
export const PidTagDisplayType = 0x39000003; // PR_DISPLAY_TYPE
export const PidTagTemplateid = 0x39020102; // PR_TEMPLATEID
export const PidTagDisplayTypeEx = 0x39050003; // PR_DISPLAY_TYPE_EX
export const PidTagSmtpAddress = 0x39fe001f; // PR_SMTP_ADDRESS
export const PidTagAddressBookDisplayNamePrintable = 0x39ff001f; // PR_EMS_AB_DISPLAY_NAME_PRINTABLE
export const PidTagAccount = 0x3a00001f; // PR_ACCOUNT
export const PidTagGivenName = 0x3a06001f; // PR_GIVEN_NAME
export const PidTagBusinessTelephoneNumber = 0x3a08001f; // PR_BUSINESS_TELEPHONE_NUMBER
export const PidTagHomeTelephoneNumber = 0x3a09001f; // PR_HOME_TELEPHONE_NUMBER
export const PidTagInitials = 0x3a0a001f; // PR_INITIALS
export const PidTagSurname = 0x3a11001f; // PR_SURNAME
export const PidTagCompanyName = 0x3a16001f; // PR_COMPANY_NAME
export const PidTagTitle = 0x3a17001f; // PR_TITLE
export const PidTagDepartmentName = 0x3a18001f; // PR_DEPARTMENT_NAME
export const PidTagOfficeLocation = 0x3a19001f; // PR_OFFICE_LOCATION
export const PidTagPrimaryTelephoneNumber = 0x3a1a001f; // PR_PRIMARY_TELEPHONE_NUMBER
export const PidTagMobileTelephoneNumber = 0x3a1c001f; // PR_MOBILE_TELEPHONE_NUMBER
export const PidTagTransmittableDisplayName = 0x3a20001f; // PR_TRANSMITABLE_DISPLAY_NAME
export const PidTagBusinessFaxNumber = 0x3a24001f; // PR_BUSINESS_FAX_NUMBER
export const PidTagCountry = 0x3a26001f; // PR_COUNTRY
export const PidTagLocality = 0x3a27001f; // PR_LOCALITY
export const PidTagStateOrProvince = 0x3a28001f; // PR_STATE_OR_PROVINCE
export const PidTagStreetAddress = 0x3a29001f; // PR_STREET_ADDRESS
export const PidTagPostalCode = 0x3a2a001f; // PR_POSTAL_CODE
export const PidTagSendRichInfo = 0x3a40000b; // PR_SEND_RICH_INFO
export const PidTagUserX509Certificate = 0x3a701102; // PR_USER_X509_CERTIFICATE
export const PidTagInitialDetailsPane = 0x3f080003; // PR_INITIAL_DETAILS_PANE

// Address book (EMS_AB) properties (MS-OXOABK 2.2.2-2.2.6)
export const PidTagAddressBookHomeMessageDatabase = 0x8006001e; // PR_EMS_AB_HOME_MDB
export const PidTagAddressBookIsMemberOfDistributionList = 0x8008000d; // PR_EMS_AB_IS_MEMBER_OF_DL
export const PidTagAddressBookMember = 0x8009000d; // PR_EMS_AB_MEMBER
export const PidTagAddressBookProxyAddresses = 0x800f101f; // PR_EMS_AB_PROXY_ADDRESSES
export const PidTagAddressBookPublicDelegates = 0x8015000d; // PR_EMS_AB_PUBLIC_DELEGATES
export const PidTagAddressBookObjectDistinguishedName = 0x803c001f; // PR_EMS_AB_OBJ_DIST_NAME
/** PR_EMS_AB_PUBLIC_DELEGATES_BL_O: the users that have this user among their delegates (no MS-OXPROPS name). */
export const PR_EMS_AB_PUBLIC_DELEGATES_BL = 0x8110000d;
export const PidTagAddressBookNetworkAddress = 0x8170101f; // PR_EMS_AB_NETWORK_ADDRESS
export const PidTagAddressBookX509Certificate = 0x8c6a1102; // PR_EMS_AB_X509_CERT
export const PidTagAddressBookObjectGuid = 0x8c6d0102; // PR_EMS_AB_OBJECT_GUID
export const PidTagAddressBookPhoneticDisplayName = 0x8c92001f; // PR_EMS_AB_PHONETIC_DISPLAY_NAME
export const PidTagAddressBookDisplayTypeExtended = 0x8c930003; // PR_EMS_AB_DISPLAY_TYPE_EX

// Hierarchy table (MS-OXOABK 2.2.2)
export const PidTagAddressBookIsMaster = 0xfffb000b; // PR_EMS_AB_IS_MASTER
export const PidTagAddressBookParentEntryId = 0xfffc0102; // PR_EMS_AB_PARENT_ENTRYID
export const PidTagAddressBookContainerId = 0xfffd0003; // PR_EMS_AB_CONTAINERID

// Templates (MS-OXOABKT 2.2.2)
export const PidTagTemplateData = 0x00010102; // PR_EMS_TEMPLATE_BLOB
export const PidTagScriptData = 0x00040102; // PR_SCRIPT_DATA
